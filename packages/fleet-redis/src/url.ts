/**
 * The fleet's Redis URL: parsed once, and always shown with its password replaced — in every log
 * line, error and `f2b status`.
 */
const REDACTED = '***';
const secrets = new Set<string>();

/** `text` with the fleet's password (and any password in a redis URL) replaced. */
export function redact(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out.replace(/(rediss?:\/\/[^:/@\s]*:)[^@\s]*@/g, `$1${REDACTED}@`);
}

function remember(secret: string): void {
  // A one-letter "password" would blank every such letter of every message: still redacted in URLs.
  if (secret.length >= 3) secrets.add(secret);
}

export interface ParsedUrl {
  /** The URL as it may be shown. */
  shown: string;
  tls: boolean;
}

/** Check the URL's shape and remember its password (and its encoded form) for `redact`. */
export function parseRedisUrl(url: string): ParsedUrl | string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return `has the scheme ${JSON.stringify(u.protocol)}, not redis: or rediss:`;
  if (!u.hostname) return 'names no host';
  if (u.password) {
    remember(u.password);
    try {
      remember(decodeURIComponent(u.password));
    } catch {
      /* kept encoded */
    }
  }
  return { shown: redact(url), tls: u.protocol === 'rediss:' };
}
