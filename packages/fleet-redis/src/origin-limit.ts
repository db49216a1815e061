/**
 * The optional per-origin limit on received bans (`receive.maxBansPerOrigin` per `receive.per`
 * seconds): a token bucket per deciding host, so one compromised or misbehaving peer cannot make
 * every host ban the Internet. Bans over the limit are refused (counted, warned about).
 */
export class OriginLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly max: number,
    private readonly perMs: number,
  ) {}

  /** Take one token of `origin`'s bucket; false when it is empty. */
  take(origin: string, now: number): boolean {
    const b = this.buckets.get(origin) ?? { tokens: this.max, at: now };
    b.tokens = Math.min(this.max, b.tokens + ((now - b.at) * this.max) / this.perMs);
    b.at = now;
    this.buckets.set(origin, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
