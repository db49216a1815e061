/**
 * A custom fail2ban action (`action.d/NAME.conf`/`.local`) as f2b's exec action, when its commands
 * are simple: one program by absolute path and plain arguments, with fail2ban's `<ip>`, `<name>`,
 * `<bantime>`, `<failures>` and `<family>` tags. A command that needs a shell — pipes, `;`, `&&`,
 * redirections, quotes, `$`, back quotes — or names other tags is reported, never turned into a
 * shell string: f2b's exec action runs argv arrays only.
 */
import { join } from 'node:path';
import { JailValues } from './interpolate.js';
import { readLayers } from './layers.js';

/** fail2ban's action tags and the exec action's placeholders. */
const TAGS: Record<string, string> = { ip: '{ip}', name: '{jail}', bantime: '{bantime}', failures: '{failures}', family: '{family}' };
/** What only a shell understands. */
const SHELL = /[|&;<>()$`"'\\*?~{}]/;

export type CustomAction = { ok: true; action: Record<string, unknown> } | { ok: false; problem: string };

/** The exec action for `action.d/<name>` in `dir`, or why there is none. */
export function customAction(dir: string, name: string): CustomAction {
  let values: JailValues;
  try {
    const layers = readLayers(join(dir, 'action.d'), name);
    if (layers.files.length === 0) return { ok: false, problem: `has no action.d/${name}.conf or .local` };
    values = new JailValues(layers, 'Definition');
  } catch (err) {
    return { ok: false, problem: `could not be read (${err instanceof Error ? err.message : String(err)})` };
  }
  const action: Record<string, unknown> = { type: 'exec' };
  for (const [key, to] of [
    ['actionban', 'ban'],
    ['actionunban', 'unban'],
    ['actionstart', 'start'],
    ['actionstop', 'stop'],
  ] as const) {
    let text: string | undefined;
    try {
      text = values.get(key)?.text.trim();
    } catch (err) {
      return { ok: false, problem: `${key} could not be read (${err instanceof Error ? err.message : String(err)})` };
    }
    if (!text) continue;
    const argv = commandArgv(text);
    if (typeof argv === 'string') return { ok: false, problem: `${key} ${argv}` };
    action[to] = argv;
  }
  if (!action.ban && !action.unban) return { ok: false, problem: 'has no actionban or actionunban' };
  return { ok: true, action };
}

/** A command as argv (fail2ban's tags as placeholders, each inside its own argument), or why it cannot be one. */
function commandArgv(text: string): string[] | string {
  if (text.includes('\n')) return 'runs several commands (one a line); the exec action runs one program: put them in a script';
  const words = text.split(/\s+/).filter(Boolean);
  const argv: string[] = [];
  for (const word of words) {
    const unknown = /<(\w+)>/g.exec(word.replace(/<(\w+)>/g, (tag, t: string) => (t in TAGS ? '' : tag)));
    if (unknown) return `uses the tag ${unknown[0]}, which the exec action has no placeholder for`;
    if (SHELL.test(word.replace(/<\w+>/g, ''))) return 'needs a shell (pipes, redirections, quotes, variables or several commands)';
    argv.push(word.replace(/<(\w+)>/g, (_, t: string) => TAGS[t]!));
  }
  if (!argv[0]?.startsWith('/')) return `runs ${JSON.stringify(argv[0] ?? '')} by name; the exec action needs an absolute path`;
  return argv;
}
