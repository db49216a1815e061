/**
 * A progress line for long runs (`f2b test-filter` on a large file): bytes read of the total, lines
 * per second and the time left, redrawn in place at most five times a second on stderr — only when
 * stderr is a terminal, so pipes, files and `--json` consumers never see it. Cleared at the end.
 */
export interface ProgressOptions {
  /** Bytes in all (a regular file's size); 0 or undefined: unknown, no percentage or ETA. */
  total?: number;
  stream?: NodeJS.WriteStream;
  now?: () => number;
}

const REDRAW_MS = 200;

export class Progress {
  private readonly stream: NodeJS.WriteStream;
  private readonly total: number;
  private readonly now: () => number;
  private readonly began: number;
  private bytes = 0;
  private lines = 0;
  private drawnAt = -Infinity;
  private drawn = false;

  /** A progress line, or null when stderr is not a terminal. */
  static forTerminal(opts: ProgressOptions = {}): Progress | null {
    const stream = opts.stream ?? process.stderr;
    return stream.isTTY ? new Progress({ ...opts, stream }) : null;
  }

  private constructor(opts: ProgressOptions & { stream: NodeJS.WriteStream }) {
    this.stream = opts.stream;
    this.total = opts.total ?? 0;
    this.now = opts.now ?? Date.now;
    this.began = this.now();
  }

  /** `bytes` more were read and `lines` more handled; redraws when it is time. */
  advance(bytes: number, lines: number): void {
    this.bytes += bytes;
    this.lines += lines;
    const t = this.now();
    if (t - this.drawnAt < REDRAW_MS) return;
    this.drawnAt = t;
    this.draw(t);
  }

  /** Remove the line (before the summary is printed). */
  done(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  private draw(t: number): void {
    const seconds = Math.max((t - this.began) / 1000, 1e-3);
    const rate = Math.round(this.lines / seconds).toLocaleString('en-US');
    const parts = [
      `${mib(this.bytes)}${this.total > 0 ? ` / ${mib(this.total)} MiB (${Math.min(100, Math.floor((this.bytes / this.total) * 100))} %)` : ' MiB'}`,
      `${this.lines.toLocaleString('en-US')} lines`,
      `${rate} lines/s`,
    ];
    if (this.total > 0 && this.bytes > 0) {
      const left = ((this.total - this.bytes) / this.bytes) * seconds;
      parts.push(`ETA ${formatSeconds(left)}`);
    }
    const width = this.stream.columns || 80;
    this.stream.write(`\r\x1b[2K${parts.join(' · ').slice(0, width - 1)}`);
    this.drawn = true;
  }
}

const mib = (bytes: number) => (bytes / 1048576).toFixed(1);

function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--';
  if (s < 60) return `${Math.ceil(s)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.ceil(s - m * 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
