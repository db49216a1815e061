/**
 * How long the n-th ban of an address lasts (fail2ban's `bantime.increment`). Here, not in the core,
 * so that a tracker plugin escalates exactly as the default tracker does without importing the core.
 */

/** The escalation settings a jail resolves from `bantimeIncrement`. */
export interface BantimeEscalation {
  /** The n-th ban lasts bantime × factor^(n−1)… */
  factor: number;
  /** …or bantime × multipliers[n−1] (the last multiplier repeats), when given. */
  multipliers?: number[];
  /** Cap, seconds (0: none). */
  maxtime: number;
  /** Up to this many random seconds added, so bans of a botnet do not all end together. */
  rndtime: number;
}

/** The ban time, in seconds, of the `count`-th ban (count ≥ 1); -1 stays permanent. */
export function escalatedBantime(base: number, count: number, inc: BantimeEscalation | undefined, random: () => number = Math.random): number {
  if (base < 0 || !inc) return base;
  const n = Math.max(1, count);
  let t =
    inc.multipliers && inc.multipliers.length > 0 ? base * inc.multipliers[Math.min(n, inc.multipliers.length) - 1]! : base * inc.factor ** Math.min(n - 1, 64);
  if (inc.maxtime > 0) t = Math.min(t, inc.maxtime);
  if (inc.rndtime > 0) t += Math.floor(random() * inc.rndtime);
  return Math.round(t);
}
