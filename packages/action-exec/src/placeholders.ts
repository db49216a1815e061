/**
 * Placeholders in argv elements: `{ip}`, `{jail}`, … A template is split once, at config time, into
 * literal text and placeholder slots; expanding it concatenates the literal parts with the values.
 * A value only ever lands inside the argv element that names it and is never scanned again, so an
 * address (or anything else) can neither start a new argument nor expand a placeholder of its own.
 * `{{` and `}}` write literal braces. Values are validated before they are used (see values.ts).
 */
import { execErrors } from './errors.js';

export type Placeholder = 'ip' | 'jail' | 'bantime' | 'failures' | 'rule' | 'end' | 'family' | 'reason' | 'ips' | 'count';

export const ALL_PLACEHOLDERS: readonly Placeholder[] = ['ip', 'jail', 'bantime', 'failures', 'rule', 'end', 'family', 'reason', 'ips', 'count'];

/** One argv element: literal strings and placeholder slots, in order. */
export type ArgTemplate = readonly (string | { readonly name: Placeholder })[];

/** A command: the program (absolute, no placeholders) and its argument templates. */
export interface CommandTemplate {
  readonly program: string;
  readonly args: readonly ArgTemplate[];
  /** The placeholders it uses (to know what must be computed). */
  readonly uses: ReadonlySet<Placeholder>;
}

/** Splits `text` into literal parts and placeholders; throws F2B_ERR_EXEC_OPTIONS naming `path`. */
export function compileArg(text: string, allowed: ReadonlySet<Placeholder>, path: string): ArgTemplate {
  const parts: (string | { name: Placeholder })[] = [];
  let literal = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '{' && text[i + 1] === '{') {
      literal += '{';
      i++;
      continue;
    }
    if (c === '}' && text[i + 1] === '}') {
      literal += '}';
      i++;
      continue;
    }
    if (c === '}') throw execErrors.F2B_ERR_EXEC_OPTIONS(path, 'has a "}" that closes nothing', 'Write a literal brace as "}}" (and "{" as "{{").');
    if (c !== '{') {
      literal += c;
      continue;
    }
    const close = text.indexOf('}', i + 1);
    const name = close < 0 ? '' : text.slice(i + 1, close);
    if (!/^[a-z]{1,16}$/.test(name)) {
      throw execErrors.F2B_ERR_EXEC_OPTIONS(
        path,
        'has a "{" that starts no placeholder',
        'Write a literal brace as "{{" (and "}" as "}}"); placeholders are {ip}, {jail}, {bantime}, {failures}, {rule}, {end}, {family}, {reason}, {ips} and {count}.',
      );
    }
    if (!(ALL_PLACEHOLDERS as readonly string[]).includes(name)) {
      throw execErrors.F2B_ERR_EXEC_OPTIONS(path, `names the unknown placeholder {${name}}`, `Use one of ${ALL_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}.`);
    }
    if (!allowed.has(name as Placeholder)) {
      throw execErrors.F2B_ERR_EXEC_OPTIONS(
        path,
        `uses {${name}}, which this command does not have`,
        `This command has ${[...allowed].map((p) => `{${p}}`).join(', ') || 'no placeholders'}; see the placeholder table in the README of @f2b/action-exec.`,
      );
    }
    if (literal) parts.push(literal);
    literal = '';
    parts.push({ name: name as Placeholder });
    i = close;
  }
  if (literal || parts.length === 0) parts.push(literal);
  return parts;
}

/** A command from its argv option; the program must be an absolute path without placeholders. */
export function compileCommand(argv: readonly string[], allowed: ReadonlySet<Placeholder>, path: string): CommandTemplate {
  const program = argv[0] ?? '';
  if (!program.startsWith('/')) {
    throw execErrors.F2B_ERR_EXEC_OPTIONS(
      `${path}.0`,
      'is not an absolute path',
      'Name the program by its absolute path (`command -v NAME` shows it): f2b never searches PATH and never runs a shell string; put each argument in its own array element.',
    );
  }
  if (/[{}]/.test(program))
    throw execErrors.F2B_ERR_EXEC_OPTIONS(`${path}.0`, 'contains a placeholder or brace', 'The program is a fixed path; pass values as arguments.');
  const uses = new Set<Placeholder>();
  const args = argv.slice(1).map((a, i) => {
    const t = compileArg(a, allowed, `${path}.${i + 1}`);
    for (const p of t) if (typeof p !== 'string') uses.add(p.name);
    return t;
  });
  return { program, args, uses };
}

/** The argv elements of `cmd` with `values` filled in (each placeholder inside its own element only). */
export function expand(cmd: CommandTemplate, values: Partial<Record<Placeholder, string>>): string[] {
  return cmd.args.map((parts) => parts.map((p) => (typeof p === 'string' ? p : (values[p.name] ?? ''))).join(''));
}
