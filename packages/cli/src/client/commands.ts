/**
 * The commands that only talk to a running daemon (commands/control.ts). bin.ts runs them through
 * client-program.ts, which loads neither the engine nor the other commands. Kept apart, without
 * imports, so that bin.ts can ask before loading anything.
 */
export const CLIENT_COMMANDS: readonly string[] = ['status', 'ban', 'unban', 'banned', 'reload', 'stop', 'ping'];
