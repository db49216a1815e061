/**
 * `readOnlySocket`: the second control socket, read-only (control/read-only.ts), for a group.
 *
 *   readOnlySocket: { path: /run/f2b-ro/f2b.sock, group: adm, mode: "0660" }
 *
 * `path` defaults to /run/f2b-ro/f2b.sock for root ($XDG_RUNTIME_DIR/f2b-ro/f2b.sock otherwise): not inside
 * the root socket's directory, which is 0700. `group` is a name from /etc/group or a gid (default:
 * the daemon's group); `mode` one of "0600", "0660" (the default) and "0666" — connecting to a Unix
 * socket needs write permission, so these are the only ones that mean anything.
 */
import { join, resolve as resolvePath } from 'node:path';
import { errors } from '../errors.js';
import { controlErrors } from '../control/errors.js';
import { groupId } from '../control/read-only.js';

export interface ReadOnlySocketInput {
  path?: string;
  group?: string | number;
  mode?: string;
}

export interface ReadOnlySocketConfig {
  path: string;
  /** null: the daemon's own group. */
  gid: number | null;
  mode: number;
}

export const READ_ONLY_SOCKET_SCHEMA = {
  oneOf: [
    { const: false },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        path: { type: 'string', minLength: 1 },
        group: {
          oneOf: [
            { type: 'string', minLength: 1, maxLength: 64 },
            { type: 'integer', minimum: 0 },
          ],
        },
        mode: { enum: ['0600', '0660', '0666', '600', '660', '666'] },
      },
    },
  ],
};

export function defaultReadOnlySocket(): string {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return '/run/f2b-ro/f2b.sock';
  const runtime = process.env.XDG_RUNTIME_DIR;
  if (!runtime) throw controlErrors.F2B_ERR_CONTROL_NO_RUNTIME_DIR();
  return join(runtime, 'f2b-ro', 'f2b.sock');
}

export function resolveReadOnlySocket(input: ReadOnlySocketInput | false | undefined, rootSocket: string | null, file?: string): ReadOnlySocketConfig | null {
  if (!input) return null;
  const path = input.path ? resolvePath(input.path) : defaultReadOnlySocket();
  if (path === rootSocket) {
    throw errors.F2B_ERR_CONFIG_INVALID(
      'readOnlySocket.path',
      'is the path of the root socket ("socket")',
      'Give the read-only socket a path of its own, e.g. /run/f2b-ro/f2b.sock.',
      { file },
    );
  }
  let gid: number | null = null;
  if (input.group !== undefined) {
    gid = groupId(input.group);
    if (gid === null) {
      throw errors.F2B_ERR_CONFIG_INVALID(
        'readOnlySocket.group',
        `names no group of this system (${JSON.stringify(input.group)} is not in /etc/group)`,
        'Name an existing group (e.g. adm), or give its gid.',
        { file },
      );
    }
  }
  return { path, gid, mode: parseInt(input.mode ?? '0660', 8) };
}
