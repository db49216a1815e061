import type { ControlCommand } from './handler.js';

/** What the read-only socket answers (apart from the socket itself: the client picks its socket by it). */
export const READ_ONLY_COMMANDS: readonly ControlCommand[] = ['ping', 'status', 'banned', 'explain'];
