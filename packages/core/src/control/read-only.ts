/**
 * The read-only control role: a second socket (config `readOnlySocket`) that a group may open —
 * monitoring, a dashboard, an admin without sudo — and that answers only what reads the daemon's
 * state. Everything that changes it (ban, unban, reload, stop) is refused with
 * F2B_ERR_CONTROL_READ_ONLY, which points to the root socket. The handler is the same one the root
 * socket uses, behind this filter: one set of commands, two doors.
 */
import { readFileSync } from 'node:fs';
import { CONTROL_COMMANDS, type ControlCommand, type ControlContext, type ControlHandler } from './handler.js';
import { controlErrors } from './errors.js';
import { READ_ONLY_COMMANDS } from './read-only-commands.js';

export { READ_ONLY_COMMANDS };

export interface ReadOnlyOptions {
  /** The daemon's root socket, named in the refusal (null: it has none). */
  rootSocket: string | null;
  /** Told of each refused command, with the peer's uid (null when unknown). */
  refused?(cmd: string, uid: number | null): void;
}

export class ReadOnlyCommands implements ControlHandler {
  private readonly inner: ControlHandler;
  private readonly opts: ReadOnlyOptions;

  constructor(inner: ControlHandler, opts: ReadOnlyOptions) {
    this.inner = inner;
    this.opts = opts;
  }

  handle(cmd: string, args: Record<string, unknown>, ctx: ControlContext): Promise<unknown> {
    // Unknown names go through, to get the usual "no such command" answer.
    if ((CONTROL_COMMANDS as readonly string[]).includes(cmd) && !READ_ONLY_COMMANDS.includes(cmd as ControlCommand)) {
      this.opts.refused?.(cmd, ctx.uid ?? null);
      return Promise.reject(controlErrors.F2B_ERR_CONTROL_READ_ONLY(cmd, READ_ONLY_COMMANDS, this.opts.rootSocket));
    }
    return this.inner.handle(cmd, args, ctx);
  }
}

/**
 * The gid of a group given by name (from /etc/group, which only root may write) or number; null if
 * there is no such group.
 */
export function groupId(group: string | number, groupFile = '/etc/group'): number | null {
  if (typeof group === 'number') return Number.isInteger(group) && group >= 0 ? group : null;
  if (/^\d+$/.test(group)) return Number(group);
  let text: string;
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return null;
}
