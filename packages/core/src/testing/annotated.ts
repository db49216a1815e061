/**
 * Reads annotated sample logs in fail2ban's format, so filters are checked against the same kind of
 * data fail2ban users know:
 *
 *   # failJSON: {"match": true, "host": "192.0.2.1", "time": "2005-01-05T01:31:41", "user": "root"}
 *   Jan  5 01:31:41 www sshd[1643]: Failed password for root from 192.0.2.1 port 22 ssh2
 *
 * `# filterOptions:` starts a block whose lines run once per option set (`mode`, `logtype`);
 * `# fileOptions:` sets defaults for the file; `# addFILE: "name"` includes a file from the same
 * directory. `constraint` expressions are supported in a safe subset (comparisons of `name` and
 * `opts.get('key')` with literals, `in` tuples, `and`/`or`/`not`) — parsed, never evaluated as code.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface Annotation {
  match: boolean;
  host?: string;
  time?: string;
  constraint?: string;
  /** Every other key (`user`, `attempts`, `desc`, …). */
  extra: Record<string, unknown>;
}

export interface AnnotatedLine {
  file: string;
  /** 1-based line number in `file`. */
  lineNo: number;
  text: string;
  annotation?: Annotation;
}

export interface AnnotatedBlock {
  /** The option sets this block runs with (at least one, `{}` = defaults). */
  optionSets: Record<string, unknown>[];
  lines: AnnotatedLine[];
}

const DIRECTIVE = /^#\s*(failJSON|filterOptions|fileOptions|addFILE)\s*:\s*(.*)$/;

/** Parse an annotated file (and the files it adds) into blocks. */
export function parseAnnotatedLog(file: string, inherited: Record<string, unknown> = {}): AnnotatedBlock[] {
  const text = readFileSync(file, 'utf8');
  let fileOptions: Record<string, unknown> = { ...inherited };
  const blocks: AnnotatedBlock[] = [];
  let current: AnnotatedBlock = { optionSets: [{ ...fileOptions }], lines: [] };
  let pending: Annotation | undefined;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const flush = () => {
    if (current.lines.length > 0) blocks.push(current);
  };
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, '');
    const d = DIRECTIVE.exec(line);
    if (d) {
      const [, kind, value] = d;
      if (kind === 'failJSON') pending = parseAnnotation(value!, file, i + 1);
      else if (kind === 'fileOptions') {
        fileOptions = { ...fileOptions, ...(parseJson(value!, file, i + 1) as Record<string, unknown>) };
        current.optionSets = current.optionSets.map((o) => ({ ...fileOptions, ...o }));
      } else if (kind === 'filterOptions') {
        flush();
        const parsed = parseJson(value!, file, i + 1);
        const sets = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
        current = { optionSets: sets.map((s) => ({ ...fileOptions, ...s })), lines: [] };
      } else if (kind === 'addFILE') {
        flush();
        const name = String(parseJson(value!, file, i + 1));
        blocks.push(...parseAnnotatedLog(join(dirname(file), name), {}));
        current = { optionSets: [{ ...fileOptions }], lines: [] };
      }
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    current.lines.push({ file, lineNo: i + 1, text: line, annotation: pending });
    pending = undefined;
  }
  flush();
  return blocks;
}

function parseJson(value: string, file: string, lineNo: number): unknown {
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new Error(`${file}:${lineNo}: the annotation is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

function parseAnnotation(value: string, file: string, lineNo: number): Annotation {
  const o = parseJson(value, file, lineNo) as Record<string, unknown>;
  const { match, host, time, constraint, ...extra } = o;
  return {
    match: match === true,
    host: typeof host === 'string' ? host : undefined,
    time: typeof time === 'string' ? time : undefined,
    constraint: typeof constraint === 'string' ? constraint : undefined,
    extra,
  };
}

// ---------------------------------------------------------------------------------------------
// constraint expressions: a tiny recursive-descent parser over a fixed grammar
//   expr := term ('or' term)* ; term := factor ('and' factor)* ; factor := 'not' factor | '(' expr ')' | cmp
//   cmp := value (('=='|'!=') value | 'not'? 'in' tuple) ; value := name | opts.get('k'[, default]) | 'str' | number | True/False/None
// ---------------------------------------------------------------------------------------------

type Value = string | number | boolean | null | undefined;

export function evaluateConstraint(expr: string, vars: { name: string; opts: Record<string, unknown> }): boolean {
  const TOKEN = /'[^']*'|"[^"]*"|==|!=|[(),]|[A-Za-z_][A-Za-z0-9_.]*|-?[0-9]+(?:\.[0-9]+)?/g;
  // Characters outside every token (`=`, `;`, `+`, …) are not in the grammar: reject, do not skip them.
  const stray = /\S/.exec(expr.replace(TOKEN, ' '));
  if (stray) throw new Error(`constraint "${expr}": unsupported character ${stray[0]}`);
  const tokens = expr.match(TOKEN) ?? [];
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const expect = (t: string) => {
    if (next() !== t) throw new Error(`constraint "${expr}": expected ${t}`);
  };
  const value = (): Value => {
    const t = next();
    if (t === undefined) throw new Error(`constraint "${expr}": unexpected end`);
    if (/^['"]/.test(t)) return t.slice(1, -1);
    if (/^-?[0-9]/.test(t)) return Number(t);
    if (t === 'True') return true;
    if (t === 'False') return false;
    if (t === 'None') return null;
    if (t === 'name') return vars.name;
    if (t === 'opts.get') {
      expect('(');
      const key = String(value());
      let dflt: Value = null;
      if (peek() === ',') {
        next();
        dflt = value();
      }
      expect(')');
      const v = vars.opts[key];
      return v === undefined ? dflt : (v as Value);
    }
    throw new Error(`constraint "${expr}": unsupported token ${t}`);
  };
  const tuple = (): Value[] => {
    expect('(');
    const out: Value[] = [];
    while (peek() !== ')') {
      out.push(value());
      if (peek() === ',') next();
    }
    next();
    return out;
  };
  const cmp = (): boolean => {
    const left = value();
    const op = next();
    if (op === '==') return left === value();
    if (op === '!=') return left !== value();
    if (op === 'in') return tuple().includes(left);
    if (op === 'not') {
      expect('in');
      return !tuple().includes(left);
    }
    throw new Error(`constraint "${expr}": unsupported operator ${op}`);
  };
  const factor = (): boolean => {
    if (peek() === 'not') {
      next();
      return !factor();
    }
    if (peek() === '(') {
      next();
      const v = or();
      expect(')');
      return v;
    }
    return cmp();
  };
  const and = (): boolean => {
    let v = factor();
    while (peek() === 'and') {
      next();
      const r = factor();
      v = v && r;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (peek() === 'or') {
      next();
      const r = and();
      v = v || r;
    }
    return v;
  };
  const result = or();
  if (pos !== tokens.length) throw new Error(`constraint "${expr}": unexpected ${tokens[pos]}`);
  return result;
}
