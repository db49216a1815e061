/**
 * What this action already carried out in this process, keyed by event (bounded, oldest forgotten
 * first). The jail retries a whole batch when one of its calls failed; the calls that succeeded are
 * not run again. After a restart the memory is empty and every ban in force is run again, which
 * is what the program must be ready for anyway (actions are idempotent).
 */
export class RecentlyDone {
  private readonly keys = new Set<string>();
  constructor(private readonly max = 100_000) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    this.keys.delete(key);
    this.keys.add(key);
    if (this.keys.size > this.max) this.keys.delete(this.keys.values().next().value!);
  }
}
