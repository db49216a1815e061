/**
 * What this host must publish, in order (a ban then its unban must not arrive the other way round).
 * Kept in the state store (`fleet/queue`) whenever it changes, so a host that decided bans while
 * Redis was down — and was restarted meanwhile — still publishes them once Redis is back. Each
 * message has its id from the start: publishing it twice (a lost reply, a crash after the send) is
 * recognised by Redis and by the receivers.
 */
export interface QueuedMessage {
  t: 'ban' | 'unban';
  mid: string;
  jail: string;
  id: string;
  /** Epoch ms on this host's clock; null: permanent (bans only). */
  end?: number | null;
  failures?: number;
}

/** Most messages kept while Redis is away; past it the oldest bans go (every host still has its own). */
export const MAX_QUEUED = 100_000;
const SAVE_DELAY_MS = 50;

export class PublishQueue {
  private items: QueuedMessage[] = [];
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private saving: Promise<void> = Promise.resolve();
  dropped = 0;

  constructor(
    private readonly save: (items: QueuedMessage[]) => Promise<void>,
    private readonly report: (err: unknown) => void,
  ) {}

  get size(): number {
    return this.items.length;
  }

  /** Messages saved by an earlier run go first. */
  restore(saved: unknown): void {
    if (!Array.isArray(saved)) return;
    const valid = saved.filter(
      (m): m is QueuedMessage =>
        !!m &&
        typeof m === 'object' &&
        (m.t === 'ban' || m.t === 'unban') &&
        typeof m.mid === 'string' &&
        typeof m.jail === 'string' &&
        typeof m.id === 'string',
    );
    this.items = [...valid, ...this.items];
  }

  push(m: QueuedMessage): void {
    this.items.push(m);
    if (this.items.length > MAX_QUEUED) {
      this.items.shift();
      this.dropped++;
    }
    this.scheduleSave();
  }

  /** The first `n` messages, oldest first. */
  head(n: number): QueuedMessage[] {
    return this.items.slice(0, n);
  }

  /** The first `n` messages were published (or are void): gone, durably soon. */
  shift(n = 1): void {
    if (n <= 0) return;
    this.items.splice(0, n);
    this.scheduleSave();
  }

  /** Save now (stop), and wait for it. */
  async flush(): Promise<void> {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
    }
    await this.saving;
    await this.write();
  }

  private scheduleSave(): void {
    if (this.saveTimer) return;
    // eslint-disable-next-line no-restricted-globals -- batches disk writes of the queue (I/O), not a time f2b reasons about
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.saving = this.saving.then(() => this.write());
    }, SAVE_DELAY_MS);
  }

  private async write(): Promise<void> {
    try {
      await this.save([...this.items]);
    } catch (err) {
      this.report(err);
    }
  }
}
