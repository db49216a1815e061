/**
 * Event-driven repair: one `nft monitor` process per namespace (and nft program), shared by every
 * action instance of this f2b process that watches a table there. It reports each transaction that
 * deleted or flushed something in a watched table — unless the transaction was one of our own nft
 * runs (the kernel names the process in its `# new generation N by process PID` line), so f2b's own
 * bans, unbans and repairs never trigger a repair (no loop). When the monitor dies it is restarted
 * with backoff; it is killed when its last watcher stops.
 */
/* eslint-disable no-restricted-properties, no-restricted-globals -- Node's clock on purpose: this
 * supervises a real process (`nft monitor`) shared by every Core of the process (one per namespace,
 * not per jail or daemon, so no one core's clock is its clock); its timers poll /proc for the
 * subscription, flush a transaction's event lines the kernel did not close, and pace restarts of
 * the process. None is a time f2b reasons about (bans, expiry, findtime); those run on the core's
 * clock in health.ts, which this monitor only tells that the table was damaged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { nftMessage } from './errors.js';
import { MonitorEvents } from './monitor-events.js';
import { diesWithParent, nftCommand, isOwnNft, type NftRunOptions } from './nft.js';

export interface MonitorWatcher {
  family: string;
  table: string;
  /** Something in the table was deleted or flushed by someone else: check and repair. */
  onDamage(lines: readonly string[]): void;
  /** The monitor is (again) subscribed: anything may have changed while it was not. */
  onReady(): void;
  warn(message: string): void;
}

export interface MonitorOptions extends NftRunOptions {
  retryDelayMs: number;
  retryMaxDelayMs: number;
}

/** A monitor that ran this long before dying starts its next life with the shortest delay again. */
const STABLE_MS = 10_000;
/** Give up waiting to see the subscription (then assume it) after this long. */
const READY_WAIT_MS = 5_000;
/** nf_tables' netlink multicast group (NFNLGRP_NFTABLES) and NETLINK_NETFILTER. */
const NFT_GROUP_BIT = 1 << (7 - 1);
const NETLINK_NETFILTER = '12';

export class NftMonitor {
  readonly watchers = new Set<MonitorWatcher>();
  restarts = 0;
  private child: ChildProcess | undefined;
  private ready = false;
  private stopped = true;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readyTimer: NodeJS.Timeout | undefined;
  private warned = false;
  private readonly events = new MonitorEvents(this.watchers, isOwnNft);

  constructor(private readonly opts: MonitorOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.ready && this.child !== undefined;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.spawn();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.readyTimer);
    this.events.reset();
    this.restartTimer = this.readyTimer = undefined;
    const child = this.child;
    this.child = undefined;
    this.ready = false;
    child?.kill('SIGTERM');
  }

  private spawn(): void {
    const [cmd, argv] = diesWithParent(nftCommand(this.opts, ['monitor']));
    const started = Date.now();
    let stderr = '';
    let child: ChildProcess;
    try {
      child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    } catch (err) {
      this.died(`could not start: ${err instanceof Error ? err.message : String(err)}`, started);
      return;
    }
    this.child = child;
    this.ready = false;
    this.events.reset();
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => this.events.data(d));
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    child.on('error', (e) => {
      if (this.child === child) stderr += e.message;
    });
    child.on('close', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.ready = false;
      clearTimeout(this.readyTimer);
      this.died(stderr.trim() !== '' ? nftMessage(stderr) : `exit ${code ?? signal}`, started);
    });
    this.waitReady(child, started);
  }

  /** Ready once its netlink socket has joined nf_tables' group (seen in /proc), so no event is missed after. */
  private waitReady(child: ChildProcess, started: number): void {
    const poll = () => {
      if (this.child !== child) return;
      if (Date.now() - started > READY_WAIT_MS || subscribed(child.pid)) {
        this.ready = true;
        if (Date.now() - started < READY_WAIT_MS) this.failuresResetLater(child);
        for (const w of this.watchers) w.onReady();
        return;
      }
      this.readyTimer = setTimeout(poll, 5);
      this.readyTimer.unref?.();
    };
    poll();
  }

  private failuresResetLater(child: ChildProcess): void {
    const t = setTimeout(() => {
      if (this.child === child) {
        this.failures = 0;
        this.warned = false;
      }
    }, STABLE_MS);
    t.unref?.();
  }

  private died(reason: string, started: number): void {
    if (this.stopped) return;
    this.failures++;
    this.restarts++;
    const delay = Math.min(this.opts.retryMaxDelayMs, this.opts.retryDelayMs * 2 ** Math.min(20, this.failures - 1));
    if (!this.warned) {
      this.warned = true;
      for (const w of this.watchers)
        w.warn(
          `nft monitor stopped after ${Date.now() - started} ms (${reason}); restarting it in ${delay} ms — until then only the periodic check repairs the table.`,
        );
    }
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) this.spawn();
    }, delay);
    this.restartTimer.unref?.();
  }
}

/** True when the process has a NETLINK_NETFILTER socket subscribed to nf_tables events. */
function subscribed(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    const inodes = new Set<string>();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        /* closed meanwhile */
      }
    }
    for (const row of readFileSync(`/proc/${pid}/net/netlink`, 'utf8').split('\n').slice(1)) {
      const f = row.trim().split(/\s+/);
      if (f[1] === NETLINK_NETFILTER && inodes.has(f[9] ?? '') && (parseInt(f[3] ?? '0', 16) & NFT_GROUP_BIT) !== 0) return true;
    }
  } catch {
    return false;
  }
  return false;
}

/** One monitor per namespace and program, shared by the action instances of this process. */
const monitors = new Map<string, NftMonitor>();

export function watch(opts: MonitorOptions, watcher: MonitorWatcher): () => void {
  const key = JSON.stringify([opts.netns ?? null, opts.nftPath, opts.ipPath]);
  let m = monitors.get(key);
  if (m === undefined) monitors.set(key, (m = new NftMonitor(opts)));
  const monitor = m;
  monitor.watchers.add(watcher);
  if (monitor.running) watcher.onReady();
  monitor.start();
  return () => {
    monitor.watchers.delete(watcher);
    if (monitor.watchers.size === 0) {
      monitor.stop();
      if (monitors.get(key) === monitor) monitors.delete(key);
    }
  };
}

/** The shared monitor for these options, if one runs (for status and tests). */
export function monitorFor(opts: NftRunOptions): NftMonitor | undefined {
  return monitors.get(JSON.stringify([opts.netns ?? null, opts.nftPath, opts.ipPath]));
}
