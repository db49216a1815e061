/**
 * The values placeholders expand to, computed from a ban or unban and validated: an address is
 * parsed and printed again by f2b's own parser (so it is exactly an address, nothing more), a jail
 * name and a rule id must be made of the characters such names have, numbers are numbers.
 */
import { tryParseCidr } from '@f2b/kit';
import type { Ban, Unban } from '@f2b/core';
import { execErrors } from './errors.js';
import type { Placeholder } from './placeholders.js';

const JAIL = /^[A-Za-z0-9._-]{1,64}$/;
const RULE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

export interface Address {
  /** Canonical text: an address, or `network/prefix` for a range. */
  text: string;
  /** `inet4` or `inet6` (fail2ban's `<family>`). */
  family: 'inet4' | 'inet6';
}

/** The ban id as an address or network, or throws F2B_ERR_EXEC_VALUE. */
export function addressOf(id: string): Address {
  const cidr = typeof id === 'string' && id.length <= 64 ? tryParseCidr(id) : null;
  if (cidr === null) throw execErrors.F2B_ERR_EXEC_VALUE('ip', String(id));
  const full = cidr.prefix === cidr.bytes.length * 8;
  return { text: full ? cidr.text.slice(0, cidr.text.lastIndexOf('/')) : cidr.text, family: cidr.version === 4 ? 'inet4' : 'inet6' };
}

export function jailValue(jail: string): string {
  if (!JAIL.test(jail)) throw execErrors.F2B_ERR_EXEC_VALUE('jail', jail);
  return jail;
}

function ruleValue(rule: string | undefined): string {
  if (rule === undefined || rule === '') return '';
  if (!RULE.test(rule)) throw execErrors.F2B_ERR_EXEC_VALUE('rule', rule);
  return rule;
}

function count(n: number, name: Placeholder): string {
  if (!Number.isSafeInteger(n) || n < 0) throw execErrors.F2B_ERR_EXEC_VALUE(name, String(n));
  return String(n);
}

/** Every placeholder value of one ban. */
export function banValues(b: Ban): Partial<Record<Placeholder, string>> {
  const addr = addressOf(b.id);
  return {
    ip: addr.text,
    family: addr.family,
    jail: jailValue(b.jail),
    bantime: b.end === null ? '-1' : String(Math.max(0, Math.round((b.end - b.start) / 1000))),
    end: b.end === null ? 'never' : new Date(b.end).toISOString(),
    failures: count(b.failures, 'failures'),
    rule: ruleValue(b.rule),
  };
}

/** Every placeholder value of one unban. */
export function unbanValues(u: Unban): Partial<Record<Placeholder, string>> {
  const addr = addressOf(u.id);
  if (!/^[a-z]{1,16}$/.test(u.reason)) throw execErrors.F2B_ERR_EXEC_VALUE('reason', String(u.reason));
  return { ip: addr.text, family: addr.family, jail: jailValue(u.jail), reason: u.reason };
}
