/**
 * Whether the memo is worth asking. A log whose messages never repeat (an access log's lines hold
 * their date and URL) pays for every key the memo writes and stores and never gets an answer back:
 * after `window` lookups of which fewer than 1 in 16 were answered, the memo is left aside for the
 * next `rest` messages, then asked again (the log may change). Break-even is far above that: a
 * lookup costs about a tenth of the RE2 pass an answer saves.
 */
export class MemoPacer {
  private lookups = 0;
  private answered = 0;
  private resting = 0;

  constructor(
    private readonly window = 4096,
    private readonly rest = 61_440,
  ) {}

  /** Whether to ask the memo about this message (false: match it afresh, store nothing). */
  ask(): boolean {
    if (this.resting === 0) return true;
    this.resting--;
    return false;
  }

  /** What the memo said to a message `ask` let through: answered or not. */
  asked(answered: boolean): void {
    if (answered) this.answered++;
    if (++this.lookups < this.window) return;
    if (this.answered * 16 < this.lookups) this.resting = this.rest;
    this.lookups = 0;
    this.answered = 0;
  }
}
