/** Shared helpers of the sshd tests: feed lines through FilterRunner + EntryParser, as a jail does. */
import { EntryParser, FilterRunner, type Failure } from '@f2b/core';
import { sshdFilter } from '../src/index.js';

export const NOW = Date.parse('2024-06-01T12:00:00Z');
export const T0 = Date.parse('2024-03-10T10:00:00Z');

export interface RunOptions {
  mode?: string;
  options?: Record<string, unknown>;
  journal?: boolean;
}

/** Feed raw lines through the filter, as a jail does; returns every failure. */
export function run(lines: string[], opts: RunOptions = {}): Failure[] {
  const runner = new FilterRunner(sshdFilter, { mode: opts.mode, options: opts.options });
  const parser = new EntryParser({ timezone: 'UTC', now: () => NOW, format: opts.journal ? 'journal-line' : 'text' });
  return lines.flatMap((l) => runner.process(parser.parse(Buffer.from(l)), NOW));
}

/** A syslog line of `prog[pid]` at T0 + `s` seconds. */
export function L(pid: number, msg: string, s = 0, prog = 'sshd', host = 'gw1'): string {
  const d = new Date(T0 + s * 1000);
  const mon = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const time = d.toISOString().slice(11, 19);
  return `${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${time} ${host} ${prog}[${pid}]: ${msg}`;
}

/** Attempts per failure id. */
export function totals(failures: Failure[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of failures) out[f.id] = (out[f.id] ?? 0) + f.attempts;
  return out;
}

export const A = '192.0.2.10';
export const B = '198.51.100.20';
export const failed = (user: string, ip = A, port = 50000) => `Failed password for ${user} from ${ip} port ${port} ssh2`;
export const pamFail = (ip = A, user = 'root') => `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${user}`;
