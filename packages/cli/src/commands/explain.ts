/**
 * `f2b explain <ip> [--json]`: why the running daemon banned an address, or why not, jail by jail —
 * the failures it still knows (line, rule, captures, time), the ban in force (rule, failures, which
 * ban of a row, origin, end), or the reason there is none (an ignore rule and its entry, n of
 * maxretry and when they are forgotten, lines only another filter mode counts, failures older than
 * findtime, a ban that ended, nothing seen).
 * Everything from the daemon is escaped before it reaches the terminal: lines and captures are
 * written by attackers.
 */
import type { Command } from 'commander';
import { errors, escapeDeep, jsonText, parseIp, type ExplainedBan, type ExplainedFailure, type Explanation, type JailExplanation } from '@f2b/core';
import { EXIT_OK } from '../errors.js';
import { call, guarded, type ClientOptions } from '../client/connect.js';
import { formatSpan, formatWhen, plural, safe, style, type Style } from '../client/output.js';

type Run = <A extends unknown[]>(fn: (...args: A) => Promise<number>) => (...args: A) => Promise<void>;

export function registerExplainCommand(program: Command, run: Run): void {
  program
    .command('explain')
    .description('Explain why an address is banned, or why not, in every jail of the running daemon.')
    .argument('<ip>', 'IPv4 or IPv6 address')
    .option('--json', "print the daemon's answer as JSON")
    .option('--socket <path>', 'control socket of the daemon (the read-only socket will do)')
    .option('-c, --config <file>', 'read the socket path from this config file')
    .action(run((ip: string, o: ClientOptions) => explain(ip, o)));
}

export function explain(ipText: string, o: ClientOptions): Promise<number> {
  return guarded(async () => {
    const ip = parseIp(ipText.trim());
    if (!ip) throw errors.F2B_ERR_ADDRESS_INVALID(ipText);
    const r = await call<Explanation>(o, 'explain', { ip: ip.text });
    if (o.json) {
      process.stdout.write(jsonText(r) + '\n');
      return EXIT_OK;
    }
    process.stdout.write(render(escapeDeep(r), style()));
    return EXIT_OK;
  });
}

/** The explanation for people (every string in `r` is escaped already). */
export function render(r: Explanation, st: Style): string {
  const banned = r.jails.filter((j) => j.verdict === 'banned').map((j) => j.jail);
  const out: string[] = [
    banned.length > 0
      ? `${st.red(r.ip)} is banned in ${banned.length} of ${plural(r.jails.length, 'jail')}: ${banned.join(', ')}.`
      : `${st.green(r.ip)} is not banned (${plural(r.jails.length, 'jail')} asked).`,
  ];
  for (const j of r.jails) out.push('', ...jailLines(j, r.now, st));
  return out.join('\n') + '\n';
}

function jailLines(j: JailExplanation, now: number, st: Style): string[] {
  const out = [
    `${st.bold(j.jail)}  ${verdictText(j, st)}  ${st.dim(`(filter ${j.filter}, mode ${j.mode}; maxretry ${j.maxretry} within findtime ${formatSpan(j.findtime * 1000)})`)}`,
  ];
  out.push(`  ${reason(j, now)}`);
  if (j.ban) out.push(...banLines(j.ban, now, st, '  '));
  if (j.window.failures.length > 0) {
    out.push(`  failures in the window (${j.window.attempts}/${j.window.maxretry}):`);
    for (const f of j.window.failures) out.push(...failureLines(f, now, st));
  }
  if (j.outside.length > 0) {
    out.push(`  failures older than findtime (not counted):`);
    for (const f of j.outside) out.push(...failureLines(f, now, st));
  }
  if (j.notCounted.length > 0) {
    out.push(`  failures not counted:`);
    for (const f of j.notCounted) out.push(...failureLines(f, now, st, f.reason === 'banned' ? 'already banned' : `ignored: ${f.reason}`));
  }
  // Older answers (a daemon not yet upgraded) have no such field.
  const otherModes = j.otherModes ?? [];
  if (otherModes.length > 0) {
    out.push(`  lines mode ${j.mode} does not count (the last ${otherModes.length}):`);
    for (const f of otherModes) out.push(...failureLines(f, now, st, `counted in mode ${f.modes.join(' or ')}`));
  }
  if (j.pastBans.length > 0) {
    out.push(`  past bans (${j.pastBans.length}):`);
    for (const b of j.pastBans) out.push(...banLines(b, now, st, '    '));
  }
  return out;
}

function verdictText(j: JailExplanation, st: Style): string {
  switch (j.verdict) {
    case 'banned':
      return st.red('banned');
    case 'ignored':
      return st.green('ignored');
    case 'below-threshold':
      return st.yellow('below maxretry');
    case 'mode-not-counted':
      return st.yellow('not counted in this mode');
    case 'outside-findtime':
      return st.yellow('failures outside findtime');
    case 'ban-ended':
      return st.dim('ban ended');
    default:
      return st.dim('nothing seen');
  }
}

/** One sentence: why this verdict. */
function reason(j: JailExplanation, now: number): string {
  const find = formatSpan(j.findtime * 1000);
  switch (j.verdict) {
    case 'banned': {
      const b = j.ban!;
      return b.origin === 'manual'
        ? 'Banned by hand (f2b ban).'
        : b.origin === 'recovered'
          ? 'Banned: recovered from the firewall after the state was lost.'
          : `Banned: ${plural(b.failures, 'failure')} within findtime ${find} reached maxretry ${j.maxretry} (rule ${b.rule ?? '(none)'}).`;
    }
    case 'ignored': {
      const i = j.ignored;
      if (i?.reason === 'ignoreip') return `Never banned here: ignoreip entry ${i.entry ?? '(unknown)'} holds it.`;
      if (i?.reason === 'ignoreself') return 'Never banned here: it is an address of this host (ignoreself).';
      if (i?.reason === 'loopback') return 'Never banned here: it is a loopback address.';
      const why = [...new Set(j.notCounted.filter((f) => f.reason !== 'banned').map((f) => f.reason))].join(', ');
      return `Its failures were ignored (${why}).`;
    }
    case 'below-threshold': {
      const w = j.window;
      return (
        `Not banned: ${w.attempts} of ${w.maxretry} failures within findtime ${find}; the oldest is forgotten ${formatWhen(w.firstForgottenAt, now)}` +
        `${w.allForgottenAt !== w.firstForgottenAt ? `, the last ${formatWhen(w.allForgottenAt, now)}` : ''}; ${w.maxretry - w.attempts} more before then ban it.`
      );
    }
    case 'mode-not-counted': {
      const modes = [...new Set(j.otherModes.flatMap((f) => f.modes))].join(' or ');
      const rules = [...new Set(j.otherModes.map((f) => f.rule ?? '(none)'))].join(', ');
      return `Not banned: its lines matched only rules that filter mode ${j.mode} does not count (${rules}); mode ${modes} would count them.`;
    }
    case 'outside-findtime':
      return `Not banned: its ${plural(j.outside.length, 'failure')} ${j.outside.length === 1 ? 'is' : 'are'} older than findtime ${find}, so ${j.outside.length === 1 ? 'it does' : 'they do'} not count.`;
    case 'ban-ended':
      return `Not banned: its last ban ended ${formatWhen(j.pastBans[0]?.end ?? null, now)}.`;
    default:
      return 'Nothing about this address in this jail (no failure kept, no ban).';
  }
}

function banLines(b: ExplainedBan, now: number, st: Style, indent: string): string[] {
  const out = [
    `${indent}${b.active ? 'banned' : 'was banned'} ${formatWhen(b.start, now)}; ${b.end === null ? 'permanently' : `${b.active ? 'ends' : 'ended'} ${formatWhen(b.end, now)}, a ban of ${formatSpan(b.end - b.start)}`}`,
    `${indent}  rule ${safe(b.rule ?? '(none)')}, ${plural(b.failures, 'failure')}, ban #${b.count} of this address, origin ${b.origin}`,
  ];
  for (const line of b.lines) out.push(`${indent}  ${st.dim(safe(line))}`);
  return out;
}

function failureLines(f: ExplainedFailure, now: number, st: Style, note?: string): string[] {
  const captures = f.captures
    ? Object.entries(f.captures)
        .map(([k, v]) => `${k}="${v}"`)
        .join(' ')
    : '';
  const head = [formatWhen(f.time, now), `rule ${f.rule ?? '(not kept)'}`, plural(f.attempts, 'attempt'), captures, note ? st.yellow(note) : '']
    .filter((s) => s !== '')
    .join(', ');
  return [`    ${head}`, ...f.lines.map((l) => `      ${st.dim(safe(l))}`)];
}
