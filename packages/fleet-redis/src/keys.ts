/**
 * The keys of one fleet. Every key has the fleet's name in a hash tag (`f2b:{prod}:…`), so one Redis
 * serves several fleets and a Redis Cluster keeps a fleet's keys (which scripts touch together) in
 * one slot.
 */
export class FleetKeys {
  readonly prefix: string;
  constructor(name: string) {
    this.prefix = `f2b:{${name}}:`;
  }
  /** Stream of ban and unban messages. */
  get stream(): string {
    return `${this.prefix}stream`;
  }
  /** Hash of the bans in force: `jail id` → `end origin mid failures` (end on Redis' clock; empty: permanent). */
  get bans(): string {
    return `${this.prefix}bans`;
  }
  /**
   * A random value set once per lifetime of the fleet's data: a host that finds another one than it
   * saw last knows that Redis lost its data (restarted without persistence, flushed).
   */
  get epoch(): string {
    return `${this.prefix}epoch`;
  }
  /** Sorted set: host → when Redis last heard its heartbeat. */
  get hosts(): string {
    return `${this.prefix}hosts`;
  }
  /** Attempts of an address in a jail's findtime, fleet-wide. */
  failures(jail: string, id: string): string {
    return `${this.prefix}fail:${jail}:${id}`;
  }
  /** Set while the address is banned in that jail: the fleet-wide count does not decide it again. */
  decided(jail: string, id: string): string {
    return `${this.prefix}decided:${jail}:${id}`;
  }
  /** A published message id (for a while): a retried publication is not published twice. */
  message(mid: string): string {
    return `${this.prefix}mid:${mid}`;
  }
}
