/** Where the daemon keeps its database and socket by default (no config needed: the client reads it too). */
import { join } from 'node:path';
import { controlErrors } from '../control/errors.js';

/**
 * Default locations: system paths for root, per-user paths otherwise. A user's socket lives only in
 * `$XDG_RUNTIME_DIR` (a directory only they may write, made by the login manager): a fixed name in
 * /tmp could be created first by another user, who would then impersonate the daemon. Without it,
 * reading `socket` throws F2B_ERR_CONTROL_NO_RUNTIME_DIR.
 */
export function defaultPaths(): { db: string; readonly socket: string } {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return { db: '/var/lib/f2b/f2b.db', socket: '/run/f2b/f2b.sock' };
  const home = process.env.HOME ?? '/tmp';
  const stateHome = process.env.XDG_STATE_HOME ?? join(home, '.local', 'state');
  return {
    db: join(stateHome, 'f2b', 'f2b.db'),
    get socket() {
      const runtime = process.env.XDG_RUNTIME_DIR;
      if (!runtime) throw controlErrors.F2B_ERR_CONTROL_NO_RUNTIME_DIR();
      return join(runtime, 'f2b', 'f2b.sock');
    },
  };
}
