/**
 * One fail2ban configuration file, read as jail.conf(5) describes it: `[section]` headers, `name =
 * value` (or `name: value`) pairs, values continued on following lines that start with white space,
 * `#` and `;` comment lines, and `;` after white space starting an inline comment. Every value keeps
 * the file and line it was written on, so the importer can say where each imported value came from.
 */

export interface IniValue {
  /** The value with its continuation lines joined by "\n", inline comments removed. */
  text: string;
  file: string;
  /** 1-based line of the `name =` line. */
  line: number;
}

export interface IniSection {
  name: string;
  file: string;
  line: number;
  /** In file order; a name given twice in one section keeps both (the later wins when merged). */
  entries: { key: string; value: IniValue }[];
}

export interface IniProblem {
  file: string;
  line: number;
  problem: string;
}

export interface IniFile {
  file: string;
  sections: IniSection[];
  /** Lines that are neither a section, a pair, a continuation nor a comment. */
  problems: IniProblem[];
}

const SECTION = /^\[([^\]]+)\]\s*(?:[#;].*)?$/;
// The name ends at the first "=" or ":" (configparser's delimiters); names never contain either.
const PAIR = /^([^\s=:][^=:]*?)\s*[=:]\s?(.*)$/;

/** `;` preceded by white space starts an inline comment (jail.conf(5): "'; ' … for inline comments"). */
function stripInlineComment(text: string): string {
  const m = /\s;/.exec(text);
  return (m ? text.slice(0, m.index) : text).trimEnd();
}

export function parseIni(text: string, file: string): IniFile {
  const sections: IniSection[] = [];
  const problems: IniProblem[] = [];
  let section: IniSection | null = null;
  let current: { key: string; value: IniValue; lines: string[] } | null = null;
  const finish = () => {
    if (!current) return;
    // Trailing empty continuation lines are not part of the value.
    while (current.lines.length > 1 && current.lines[current.lines.length - 1] === '') current.lines.pop();
    current.value.text = current.lines.join('\n');
    current = null;
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    const trimmed = raw.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    if (/^\s/.test(raw) && current) {
      current.lines.push(stripInlineComment(trimmed));
      continue;
    }
    finish();
    const header = SECTION.exec(trimmed);
    if (header) {
      section = { name: header[1]!.trim(), file, line: i + 1, entries: [] };
      sections.push(section);
      continue;
    }
    const pair = PAIR.exec(trimmed);
    if (!pair) {
      problems.push({ file, line: i + 1, problem: 'is neither a [section], a "name = value" pair nor a comment' });
      continue;
    }
    if (!section) {
      problems.push({ file, line: i + 1, problem: 'is a "name = value" pair before any [section]' });
      continue;
    }
    const value: IniValue = { text: '', file, line: i + 1 };
    current = { key: pair[1]!.trim(), value, lines: [stripInlineComment(pair[2]!.trim())] };
    section.entries.push({ key: current.key, value });
  }
  finish();
  return { file, sections, problems };
}
