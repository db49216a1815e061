/**
 * One host's membership of a fleet on Redis. Two connections: `cmd` publishes (scripts), counts,
 * beats and reads snapshots; `reader` only blocks on XREAD, so a long block never delays a publish.
 *
 * - Bans and unbans go through a durable queue (`PublishQueue`) and the PUBLISH script: the snapshot
 *   hash, the decided marker and the stream entry, with the end on Redis' clock.
 * - Received messages are deduplicated by id, never those of this host, converted to this host's
 *   clock with the offset measured by TIME, rate-limited per origin when asked, and applied through
 *   the core (which checks ignoreip/ignoreself).
 * - On every (re)connect: the clock offset, then catch-up — from the saved stream position if the
 *   stream still holds it, else from the snapshot hash — then the queue is published.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { messageOf } from '@f2b/kit';
import type { Ban, FleetContext, FleetInstance, FleetJail, FleetStatus, Unban, AddressFailure } from '@f2b/core';
import { FleetKeys } from './keys.js';
import { COUNT, PUBLISH, evalScript, script } from './scripts.js';
import { PublishQueue, type QueuedMessage } from './publish-queue.js';
import { OriginLimit } from './origin-limit.js';
import { fleetErrors } from './errors.js';
import { redact } from './url.js';

export interface RedisFleetOptions {
  url: string;
  name: string;
  /** Approximate length the stream is trimmed to (XADD MAXLEN ~). */
  streamMaxLen: number;
  /** Seconds between heartbeats (and clock measurements). */
  heartbeat: number;
  /** Longest XREAD BLOCK, ms. */
  blockMs: number;
  receive?: { maxBansPerOrigin: number; per: number };
  /** Connection options beside the URL (TLS). */
  connection: RedisOptions;
}

const PUBLISH_SCRIPT = script(PUBLISH);
const COUNT_SCRIPT = script(COUNT);
/** How long Redis remembers a published message id (a retry within this is recognised). */
const MID_TTL_MS = 3_600_000;
/** Message ids received lately, for deduplication (beyond the idempotence of applying). */
const SEEN_MAX = 20_000;
/** Most counting calls in flight; past it a failure is counted only here (a flood must not queue without bound). */
const MAX_COUNTS_IN_FLIGHT = 5_000;
const READ_COUNT = 1_000;
/** Messages published per round trip. */
const PUBLISH_BATCH = 200;
const SCAN_COUNT = 1_000;

export class RedisFleet implements FleetInstance {
  private readonly keys: FleetKeys;
  /** Which fleet this is (server, database and name; no secret): saved, to recognise a move to another. */
  private readonly identity: string;
  private readonly queue: PublishQueue;
  private readonly limit: OriginLimit | null;
  private cmd: Redis | null = null;
  private reader: Redis | null = null;
  private connected = false;
  private stopping = false;
  /** Redis' clock minus ours, ms (measured by TIME at connect and every heartbeat). */
  private offset = 0;
  /** Last stream entry handled; null: not known (catch up from the snapshot). */
  private lastId: string | null = null;
  private savedId: string | null = null;
  /** The fleet data's epoch this host saw last (see FleetKeys.epoch). */
  private epoch: string | null = null;
  /** Joined another fleet than the one saved (`fleet/joined`): catch up from its snapshot, publish our bans there. */
  private moved = false;
  private readonly seen = new Set<string>();
  private seq = 0;
  // eslint-disable-next-line no-restricted-properties -- an id, not a time: the wall clock's ms make it unique across restarts of this host
  private readonly boot = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  private syncing: Promise<void> | null = null;
  private draining = false;
  private readLoop: Promise<void> | null = null;
  private heartbeatTimer: { cancel(): void } | null = null;
  private countsInFlight = 0;
  private hostsSeen: { host: string; seen: number }[] = [];
  private lastError: string | undefined;
  private readonly stats = { received: 0, published: 0, refused: 0, lastLag: null as number | null, maxLag: null as number | null };

  constructor(
    private readonly opts: RedisFleetOptions,
    private readonly ctx: FleetContext,
    private readonly shownUrl: string,
  ) {
    this.keys = new FleetKeys(opts.name);
    this.identity = `${shownUrl} ${opts.name}`;
    this.queue = new PublishQueue(
      (items) => ctx.save('queue', items),
      (err) => ctx.error(err),
    );
    this.limit = opts.receive ? new OriginLimit(opts.receive.maxBansPerOrigin, opts.receive.per * 1000) : null;
  }

  async start(): Promise<void> {
    this.queue.restore(await this.ctx.load('queue'));
    const saved = await this.ctx.load('stream');
    if (typeof saved === 'string' && /^\d+-\d+$/.test(saved)) this.lastId = this.savedId = saved;
    const epoch = await this.ctx.load('epoch');
    if (typeof epoch === 'string') this.epoch = epoch;
    // Another fleet than last time (a reload or restart with another url or name): the saved stream
    // position and epoch are that fleet's, not this one's.
    const joined = await this.ctx.load('joined');
    if (typeof joined === 'string' && joined !== this.identity) {
      this.lastId = this.savedId = null;
      this.epoch = null;
      this.moved = true;
    }
    const common: RedisOptions = {
      ...this.opts.connection,
      protocol: 2,
      lazyConnect: true,
      // Commands fail at once while disconnected: the queue keeps what must be published, in order.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectionName: `f2b:${this.ctx.host}`,
      retryStrategy: (times) => Math.min(50 * times, 500),
    };
    this.cmd = new Redis(this.opts.url, { ...common, enableAutoPipelining: true });
    this.reader = new Redis(this.opts.url, { ...common, maxRetriesPerRequest: null });
    this.cmd.on('ready', () => {
      void this.onReady();
    });
    this.cmd.on('close', () => this.onClose());
    this.cmd.on('error', (err) => this.onError(err));
    this.reader.on('error', () => {
      /* the command connection reports (same server) */
    });
    // Connect in the background: a fleet that is down must not keep the host from protecting itself.
    this.cmd.connect().catch(() => {
      /* retried by ioredis; reported by onError */
    });
    this.reader.connect().catch(() => {});
    this.armHeartbeat();
    // Give a reachable Redis a moment, so that a host starts with the fleet's bans in force.
    // eslint-disable-next-line no-restricted-globals -- a grace for real network I/O: Node's timer, so a start under a FakeClock does not wait forever
    await Promise.race([this.waitSynced(), new Promise((r) => setTimeout(r, 3000))]);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.heartbeatTimer?.cancel();
    await this.syncing?.catch(() => {});
    await this.drain().catch(() => {});
    await this.queue.flush();
    await this.saveStreamPosition();
    this.connected = false;
    this.reader?.disconnect();
    await this.readLoop?.catch(() => {});
    await this.cmd?.quit().catch(() => this.cmd?.disconnect());
  }

  ban(ban: Ban, jail: FleetJail): void {
    if (!jail.bans) return;
    this.queue.push({ t: 'ban', mid: this.nextMid(), jail: ban.jail, id: ban.id, end: ban.end, failures: ban.failures });
    void this.drain();
  }

  unban(unban: Unban, jail: FleetJail): void {
    if (!jail.bans) return;
    this.queue.push({ t: 'unban', mid: this.nextMid(), jail: unban.jail, id: unban.id });
    void this.drain();
  }

  failure(f: AddressFailure, jail: FleetJail): void {
    if (!this.connected || !jail.failures || this.countsInFlight >= MAX_COUNTS_IN_FLIGHT) return;
    this.countsInFlight++;
    const id = f.ip.text;
    const attempts = Math.min(f.attempts, jail.maxretry);
    const markerTtl = jail.bantime > 0 ? jail.bantime * 1000 : 30 * 86_400_000;
    evalScript(
      this.cmd!,
      COUNT_SCRIPT,
      [this.keys.failures(jail.name, id), this.keys.decided(jail.name, id)],
      [this.nextMid(), attempts, jail.findtime * 1000, jail.maxretry, markerTtl, this.ctx.host],
    )
      .then(
        (r) => {
          const [decide, count] = r as [number, number];
          if (decide === 1) this.ctx.decideBan(jail.name, id, count);
        },
        (err) => this.onError(err),
      )
      .finally(() => {
        this.countsInFlight--;
      });
  }

  status(): FleetStatus {
    return {
      type: 'redis',
      name: this.opts.name,
      host: this.ctx.host,
      connected: this.connected,
      url: this.shownUrl,
      hosts: this.hostsSeen,
      queued: this.queue.size,
      lag: { lastMs: this.stats.lastLag, maxMs: this.stats.maxLag },
      received: this.stats.received,
      published: this.stats.published,
      refused: this.stats.refused,
      ...(this.connected || !this.lastError ? {} : { error: this.lastError }),
    };
  }

  /** Redis' time now, on this host's clock (ms). */
  private redisNow(): number {
    return this.ctx.clock.now() + this.offset;
  }

  private nextMid(): string {
    return `${this.ctx.host}:${this.boot}:${(++this.seq).toString(36)}`;
  }

  private onReady(): void {
    if (this.stopping) return;
    this.syncing ??= this.sync()
      .catch((err) => {
        this.onError(err);
      })
      .finally(() => {
        this.syncing = null;
      });
  }

  private onClose(): void {
    if (this.connected && !this.stopping) {
      this.ctx.logger.warn(`Lost the fleet's Redis at ${this.shownUrl}: deciding alone; bans and unbans are queued until it is back.`);
    }
    this.connected = false;
  }

  private errorLogged = -Infinity;
  private onError(err: unknown): void {
    this.lastError = redact(messageOf(err));
    const now = this.ctx.clock.now();
    // A Redis that stays down errs on every retry: one report a minute.
    if (now - this.errorLogged < 60_000 || this.stopping) return;
    this.errorLogged = now;
    this.ctx.error(fleetErrors.F2B_ERR_FLEET_UNREACHABLE(this.opts.url, err));
  }

  /** Resolves once connected and caught up (start waits for it a little). */
  private waitSynced(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.connected && !this.syncing) resolve();
        // eslint-disable-next-line no-restricted-globals -- polls the connection's state (real I/O), not a time f2b reasons about
        else if (!this.stopping) setTimeout(check, 20);
        else resolve();
      };
      check();
    });
  }

  private async sync(): Promise<void> {
    const cmd = this.cmd!;
    await this.measureClock();
    // The first host to connect to an empty Redis sets the epoch; the others find it.
    // eslint-disable-next-line no-restricted-properties -- an id, not a time (see boot)
    const fresh = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    const current = ((await cmd.call('SET', this.keys.epoch, fresh, 'NX', 'GET')) as string | null) ?? fresh;
    const lost = this.epoch !== null && this.epoch !== current;
    if (lost) {
      this.ctx.logger.warn(
        `The fleet's Redis at ${this.shownUrl} lost the fleet's data (restarted without persistence, or flushed): publishing this host's bans in force again.`,
      );
      this.lastId = null;
    }
    if (this.epoch !== current) {
      this.epoch = current;
      await this.ctx.save('epoch', current);
    }
    const first = (await cmd.call('XRANGE', this.keys.stream, '-', '+', 'COUNT', 1)) as [string, string[]][];
    const held = this.lastId !== null && first.length > 0 && compareIds(first[0]![0], this.lastId) <= 0;
    // Unbans missed while away are in no snapshot: reconcile against it, unless Redis lost it all.
    // A host that moved here from another fleet keeps what that fleet banned until it ends (lifting
    // bans is never guessed), and brings its own bans in force to this one.
    if (!held) await this.catchUpFromSnapshot(!lost && !this.moved);
    if (lost || this.moved) this.republishOwnBans();
    if (this.moved)
      this.ctx.logger.info(`Joined the fleet "${this.opts.name}" at ${this.shownUrl} (another fleet than before): publishing this host's bans in force there.`);
    this.moved = false;
    await this.ctx.save('joined', this.identity);
    this.connected = true;
    this.lastError = undefined;
    this.ctx.logger.info(`Connected to the fleet "${this.opts.name}" at ${this.shownUrl} as ${this.ctx.host}${held ? '' : ' (caught up from the snapshot)'}.`);
    await this.beat();
    this.readLoop ??= this.read().finally(() => {
      this.readLoop = null;
    });
    await this.drain();
  }

  /** The bans in force from the snapshot hash, and the stream from the entry it was taken at. */
  private async catchUpFromSnapshot(reconcile: boolean): Promise<void> {
    const cmd = this.cmd!;
    const startedAt = this.ctx.clock.now();
    const top = (await cmd.call('XREVRANGE', this.keys.stream, '+', '-', 'COUNT', 1)) as [string, string[]][];
    const from = top[0]?.[0] ?? '0-0';
    const now = this.redisNow();
    const inSnapshot = new Set<string>();
    let cursor = '0';
    do {
      const [next, flat] = (await cmd.call('HSCAN', this.keys.bans, cursor, 'COUNT', SCAN_COUNT)) as [string, string[]];
      cursor = next;
      for (let i = 0; i + 1 < flat.length; i += 2) {
        inSnapshot.add(flat[i]!);
        const [jail, id] = splitOnce(flat[i]!);
        const [end, origin, mid, failures] = flat[i + 1]!.split(' ');
        if (!jail || !id || !origin || origin === this.ctx.host) continue;
        const endAt = end ? Number(end) : null;
        if (endAt !== null && endAt <= now) continue; // expired meanwhile: never applied
        this.receiveBan({ jail, id, origin, mid: mid ?? '', end: endAt, failures: Number(failures) || 0 }, null);
      }
    } while (cursor !== '0');
    this.lastId = from;
    if (reconcile) this.reconcile(inSnapshot, startedAt);
  }

  /**
   * Bans received from other hosts before this catch-up that the snapshot no longer has were
   * lifted while this host was away (or its stream position was trimmed): lift them here too.
   * Bans received during the catch-up are left alone (the stream brings them from `from` on).
   */
  private reconcile(inSnapshot: Set<string>, startedAt: number): void {
    for (const b of this.ctx.bansInForce()) {
      const origin = b.origin ?? (b.rule?.startsWith('fleet:') ? b.rule.slice(6) : undefined);
      if (!origin || origin === this.ctx.host || b.start >= startedAt || inSnapshot.has(`${b.jail} ${b.id}`)) continue;
      this.ctx.applyUnban({ jail: b.jail, id: b.id, origin });
    }
  }

  /** Redis lost the fleet's data: this host's own bans in force go into the queue again. */
  private republishOwnBans(): void {
    for (const b of this.ctx.bansInForce()) {
      if (b.origin !== undefined || b.rule?.startsWith('fleet:')) continue;
      this.queue.push({ t: 'ban', mid: this.nextMid(), jail: b.jail, id: b.id, end: b.end, failures: b.failures });
    }
  }

  /** Block on the stream; hand every entry over; on errors wait for the connection. */
  private async read(): Promise<void> {
    const reader = this.reader!;
    while (!this.stopping) {
      if (!this.connected || reader.status !== 'ready' || this.lastId === null) {
        // eslint-disable-next-line no-restricted-globals -- the reader waits for its real connection, not on f2b's time
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      let reply: [string, [string, string[]][]][] | null;
      try {
        reply = (await reader.call('XREAD', 'COUNT', READ_COUNT, 'BLOCK', this.opts.blockMs, 'STREAMS', this.keys.stream, this.lastId)) as typeof reply;
      } catch {
        // eslint-disable-next-line no-restricted-globals -- a pause before reading from Redis again after an error (real I/O)
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (!reply) continue;
      for (const [, entries] of reply) {
        for (const [id, fields] of entries) {
          this.lastId = id;
          this.handle(id, fieldsOf(fields));
        }
      }
      this.scheduleStreamSave();
    }
  }

  private handle(entryId: string, m: Record<string, string>): void {
    if (!m.o || m.o === this.ctx.host || !m.j || !m.id || !m.mid) return;
    const lag = Math.max(0, this.redisNow() - Number(entryId.split('-')[0]));
    this.stats.lastLag = lag;
    this.stats.maxLag = Math.max(this.stats.maxLag ?? 0, lag);
    if (m.t === 'ban') {
      const end = m.e ? Number(m.e) : null;
      if (end !== null && end <= this.redisNow()) return; // expired before it got here
      this.receiveBan({ jail: m.j, id: m.id, origin: m.o, mid: m.mid, end, failures: Number(m.f) || 0 }, entryId);
    } else if (m.t === 'unban') {
      if (this.remember(m.mid)) return;
      this.stats.received++;
      this.ctx.applyUnban({ jail: m.j, id: m.id, origin: m.o });
    }
  }

  private receiveBan(b: { jail: string; id: string; origin: string; mid: string; end: number | null; failures: number }, entryId: string | null): void {
    if (b.mid && this.remember(b.mid)) return;
    this.stats.received++;
    if (this.limit && !this.limit.take(b.origin, this.ctx.clock.now())) {
      this.stats.refused++;
      this.warnLimited(b.origin);
      return;
    }
    const outcome = this.ctx.applyBan({
      jail: b.jail,
      id: b.id,
      origin: b.origin,
      failures: b.failures,
      // Redis' clock → ours: the same instant, whatever the two hosts' clocks say.
      end: b.end === null ? null : b.end - this.offset,
    });
    if (outcome === 'refused') {
      this.stats.refused++;
      this.ctx.logger.warn(
        `Refused a ban of ${b.id} in jail "${b.jail}" from fleet host ${b.origin}: this host never bans that address (loopback, ignoreip or ignoreself).`,
        entryId ? { entry: entryId } : {},
      );
    }
  }

  private limitWarned = new Map<string, number>();
  private warnLimited(origin: string): void {
    const now = this.ctx.clock.now();
    if (now - (this.limitWarned.get(origin) ?? -Infinity) < 60_000) return;
    this.limitWarned.set(origin, now);
    this.ctx.logger.warn(
      `Fleet host ${origin} sends more bans than receive.maxBansPerOrigin allows (${this.opts.receive!.maxBansPerOrigin} per ${this.opts.receive!.per}s): the rest are refused.`,
    );
  }

  /** True when the id was seen already. */
  private remember(mid: string): boolean {
    if (this.seen.has(mid)) return true;
    this.seen.add(mid);
    if (this.seen.size > SEEN_MAX) this.seen.delete(this.seen.values().next().value!);
    return false;
  }

  /** Publish the queue in order, while connected; a failure leaves the rest for the next connect. */
  private async drain(): Promise<void> {
    if (this.draining || !this.connected) return;
    this.draining = true;
    try {
      // A batch at a time, pipelined on the one connection (Redis runs them in order); what
      // follows the first failure stays queued, and is recognised by its id if it went through.
      for (let batch = this.queue.head(PUBLISH_BATCH); batch.length > 0 && this.connected; batch = this.queue.head(PUBLISH_BATCH)) {
        const settled = await Promise.allSettled(batch.map((m) => this.publish(m)));
        const done = settled.findIndex((r) => r.status === 'rejected');
        this.queue.shift(done < 0 ? batch.length : done);
        if (done >= 0) throw (settled[done] as PromiseRejectedResult).reason;
      }
    } catch (err) {
      this.onError(err);
    } finally {
      this.draining = false;
    }
  }

  private async publish(m: QueuedMessage): Promise<void> {
    let remaining = -1;
    if (m.t === 'ban' && m.end !== null && m.end !== undefined) {
      remaining = m.end - this.ctx.clock.now();
      if (remaining <= 0) return; // ended while queued: nobody must apply it
    }
    const k = this.keys;
    const r = await evalScript(
      this.cmd!,
      PUBLISH_SCRIPT,
      [k.stream, k.bans, k.decided(m.jail, m.id), k.message(m.mid)],
      [m.t, m.mid, this.ctx.host, m.jail, m.id, Math.round(remaining), m.failures ?? 0, this.opts.streamMaxLen, MID_TTL_MS],
    );
    if (r !== null) this.stats.published++;
  }

  private async measureClock(): Promise<void> {
    // Redis' TIME is wall time, so the round trip is measured on the wall clock; the last term maps
    // the result onto the core's clock (a FakeClock in tests).
    /* eslint-disable no-restricted-properties -- see above */
    const before = Date.now();
    const [s, us] = (await this.cmd!.call('TIME')) as [string, string];
    const after = Date.now();
    const redisMs = Number(s) * 1000 + Math.floor(Number(us) / 1000);
    // The reply was made about half-way through the round trip.
    this.offset = redisMs - (before + after) / 2 + (this.ctx.clock.now() - Date.now());
    /* eslint-enable no-restricted-properties */
  }

  private armHeartbeat(): void {
    const tick = () => {
      if (this.stopping) return;
      if (this.connected) this.beat().catch((err) => this.onError(err));
      this.heartbeatTimer = this.ctx.clock.setTimer(this.opts.heartbeat * 1000, tick);
    };
    this.heartbeatTimer = this.ctx.clock.setTimer(this.opts.heartbeat * 1000, tick);
  }

  private beats = 0;
  /** Tell the fleet we are here, read who else is, remeasure the clock; now and then drop expired snapshot entries. */
  private async beat(): Promise<void> {
    await this.measureClock();
    const cmd = this.cmd!;
    const now = Math.round(this.redisNow());
    const window = this.opts.heartbeat * 3000;
    await cmd.call('ZADD', this.keys.hosts, now, this.ctx.host);
    await cmd.call('ZREMRANGEBYSCORE', this.keys.hosts, '-inf', now - window * 20);
    const flat = (await cmd.call('ZRANGE', this.keys.hosts, now - window, '+inf', 'BYSCORE', 'WITHSCORES')) as string[];
    const hosts: { host: string; seen: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) hosts.push({ host: flat[i]!, seen: Math.round(Number(flat[i + 1]) - this.offset) });
    this.hostsSeen = hosts;
    if (++this.beats % 12 === 1) await this.pruneSnapshot(now);
  }

  /** Snapshot entries whose ban ended (hash fields do not expire on their own in Redis 7.0). */
  private async pruneSnapshot(now: number): Promise<void> {
    const cmd = this.cmd!;
    let cursor = '0';
    do {
      const [next, flat] = (await cmd.call('HSCAN', this.keys.bans, cursor, 'COUNT', SCAN_COUNT)) as [string, string[]];
      cursor = next;
      const ended: string[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const end = flat[i + 1]!.split(' ')[0];
        if (end && Number(end) <= now) ended.push(flat[i]!);
      }
      if (ended.length > 0) await cmd.call('HDEL', this.keys.bans, ...ended);
    } while (cursor !== '0' && !this.stopping);
  }

  private streamSaveTimer: ReturnType<typeof setTimeout> | null = null;
  private scheduleStreamSave(): void {
    if (this.streamSaveTimer) return;
    // eslint-disable-next-line no-restricted-globals -- batches disk writes of the stream position (I/O), not a time f2b reasons about
    this.streamSaveTimer = setTimeout(() => {
      this.streamSaveTimer = null;
      void this.saveStreamPosition();
    }, 500);
  }

  private async saveStreamPosition(): Promise<void> {
    if (this.streamSaveTimer) {
      clearTimeout(this.streamSaveTimer);
      this.streamSaveTimer = null;
    }
    if (this.lastId === null || this.lastId === this.savedId) return;
    const id = this.lastId;
    try {
      await this.ctx.save('stream', id);
      this.savedId = id;
    } catch (err) {
      this.ctx.error(err);
    }
  }
}

/** Stream entry ids (`ms-seq`) in order. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || as - bs;
}

function fieldsOf(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

function splitOnce(s: string): [string, string] {
  const i = s.indexOf(' ');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}
