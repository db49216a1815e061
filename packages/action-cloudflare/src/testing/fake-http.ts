/**
 * Shapes shared by the fake Cloudflare API: the request as the route handlers see it, Cloudflare's
 * JSON envelope (`{success, errors, messages, result, result_info}`) and ids in Cloudflare's form
 * (32 lowercase hex digits).
 */
import { randomBytes } from 'node:crypto';

export interface FakeRequest {
  method: string;
  /** Path below the API base, split on `/` (`['zones', '<id>', 'firewall', …]`). */
  segments: string[];
  query: URLSearchParams;
  body: unknown;
}

export interface FakeResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface CfError {
  code: number;
  message: string;
}

export function ok(result: unknown, resultInfo?: Record<string, unknown>): FakeResponse {
  return { status: 200, body: { success: true, errors: [], messages: [], result, ...(resultInfo ? { result_info: resultInfo } : {}) } };
}

export function fail(status: number, code: number, message: string, headers?: Record<string, string>): FakeResponse {
  return { status, body: { success: false, errors: [{ code, message }], messages: [], result: null }, headers };
}

export function cfId(): string {
  return randomBytes(16).toString('hex');
}

export function now(): string {
  return new Date().toISOString();
}

/** A query number within [min, max], the default when absent, or null when invalid. */
export function intParam(q: URLSearchParams, name: string, def: number, min: number, max: number): number | null {
  const v = q.get(name);
  if (v === null || v === '') return def;
  if (!/^\d+$/.test(v)) return null;
  const n = Number(v);
  return n < min || n > max ? null : n;
}
