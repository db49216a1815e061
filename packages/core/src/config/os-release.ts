/**
 * Which distribution this is, from os-release(5): `ID` and `ID_LIKE`, mapped to the families whose
 * services log in the same places (Debian/Ubuntu, RHEL/Fedora/Alma/Rocky, Arch, openSUSE/SLES).
 * Filter packages declare their services' log paths per family (config/log-paths.ts).
 */
import { readFileSync } from 'node:fs';

export const DISTRO_FAMILIES = ['debian', 'rhel', 'arch', 'suse'] as const;
export type DistroFamily = (typeof DISTRO_FAMILIES)[number];

/**
 * os-release IDs of distributions that log like a family but may not say so in `ID_LIKE` (Fedora
 * has none; older CentOS and Amazon Linux name only each other). Most derivatives name their family
 * in `ID_LIKE` (Ubuntu: debian, Rocky: "rhel centos fedora", Manjaro: arch, Tumbleweed: "opensuse suse").
 */
const FAMILY_OF_ID: Record<string, DistroFamily> = {
  debian: 'debian',
  ubuntu: 'debian',
  raspbian: 'debian',
  linuxmint: 'debian',
  devuan: 'debian',
  rhel: 'rhel',
  fedora: 'rhel',
  centos: 'rhel',
  almalinux: 'rhel',
  rocky: 'rhel',
  ol: 'rhel',
  amzn: 'rhel',
  arch: 'arch',
  manjaro: 'arch',
  endeavouros: 'arch',
  suse: 'suse',
  opensuse: 'suse',
  'opensuse-leap': 'suse',
  'opensuse-tumbleweed': 'suse',
  sles: 'suse',
  sled: 'suse',
};

export interface Distro {
  /** `ID` of os-release (`ubuntu`), or undefined when the file is missing or names none. */
  id?: string;
  /** The family its logs are laid out like, when known. */
  family?: DistroFamily;
  /** Where this was read (for messages). */
  file: string;
}

/** The os-release file f2b reads: `F2B_OS_RELEASE` (for tests only) or /etc/os-release, else /usr/lib/os-release. */
export function osReleaseFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  return env.F2B_OS_RELEASE ? [env.F2B_OS_RELEASE] : ['/etc/os-release', '/usr/lib/os-release'];
}

/** The distribution described by the first readable of `files`. */
export function readDistro(files: readonly string[] = osReleaseFiles()): Distro {
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    return { ...distroOf(parseOsRelease(text)), file };
  }
  return { file: files[0] ?? '/etc/os-release' };
}

/** `KEY=value` lines; values may be quoted ("…" or '…'); comments and other lines are skipped. */
export function parseOsRelease(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2]!.trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) value = value.slice(1, -1);
    out.set(m[1]!, value.replace(/\\(["'$`\\])/g, '$1'));
  }
  return out;
}

/** The family of an os-release: `ID` first, then each `ID_LIKE` entry in order. */
export function distroOf(fields: Map<string, string>): Omit<Distro, 'file'> {
  const id = fields.get('ID')?.toLowerCase() || undefined;
  const like = (fields.get('ID_LIKE') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  for (const candidate of [id, ...like]) {
    const family = candidate === undefined ? undefined : FAMILY_OF_ID[candidate];
    if (family) return { id, family };
  }
  return { id };
}
