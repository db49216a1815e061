/**
 * One `mail` action instance (one per jail that lists it).
 *
 * `each` mode: a call of the jail (the bans or unbans that arrived together) becomes one mail, sent
 * before the call resolves; when it is not taken, the call rejects and the jail keeps the work in
 * its durable outbox and retries (at least once). Events already mailed by this process are
 * skipped on a retry, so a repeated delivery does not mail twice.
 *
 * `digest` mode: events are collected and mailed once per digestInterval (and at stop); a digest
 * that could not be sent is kept for the next one. The collection lives in memory: a crash loses at
 * most one period of digest, never a ban.
 */
import type { ActionContext, ActionInstance, Ban, Unban } from '@f2b/core';
import { FailureStreak, isF2bError, type TimerHandle } from '@f2b/kit';
import { composeDigest, composeEvents, type MailEventRecord } from './compose.js';
import { normalizeOptions, fileIsOpen, type MailConfig, type MailOptions } from './options.js';
import { sendmailSender, smtpSender, type Sender } from './transport.js';

/** Events remembered as mailed (a retry of the same call sends nothing). */
const SENT_MEMORY = 10_000;
/** Most events a digest holds; beyond, they are counted, not listed. */
const DIGEST_MAX = 1000;

export interface MailStats {
  /** Mails taken by the server or sendmail. */
  sent: number;
  /** Attempts that failed. */
  failures: number;
}

export class MailAction implements ActionInstance {
  readonly config: MailConfig;
  readonly stats: MailStats = { sent: 0, failures: 0 };
  private readonly ctx: ActionContext;
  private readonly sender: Sender;
  private readonly streak = new FailureStreak();
  private readonly sent = new Set<string>();
  private digest: MailEventRecord[] = [];
  private digestDropped = 0;
  private digestSince: number;
  private digestTimer?: TimerHandle;
  private sending: Promise<void> = Promise.resolve();

  constructor(options: MailOptions, ctx: ActionContext, sender?: Sender) {
    this.config = normalizeOptions(options);
    this.ctx = ctx;
    this.sender = sender ?? (this.config.transport === 'smtp' ? smtpSender(this.config) : sendmailSender(this.config));
    this.digestSince = ctx.clock.now();
    const file = (options.smtp as { passwordFile?: string } | undefined)?.passwordFile;
    if (file !== undefined && fileIsOpen(file)) ctx.logger.warn(`The SMTP password file ${JSON.stringify(file)} can be read by every user; chmod 600 it.`);
  }

  async start(): Promise<void> {
    this.digestSince = this.ctx.clock.now();
    this.armDigest();
  }

  /** Sends what the digest holds (if anything), then closes the transport. */
  async stop(): Promise<void> {
    this.digestTimer?.cancel();
    this.digestTimer = undefined;
    if (this.config.mode === 'digest') await this.sendDigest().catch(() => undefined);
    this.sender.close();
  }

  ban(bans: readonly Ban[]): Promise<void> {
    if (!this.config.events.has('ban')) return Promise.resolve();
    return this.take(bans.map((ban) => ({ key: `b\0${ban.id}\0${ban.start}`, record: { type: 'ban', ban } })));
  }

  unban(unbans: readonly Unban[]): Promise<void> {
    if (!this.config.events.has('unban')) return Promise.resolve();
    return this.take(unbans.map((unban) => ({ key: `u\0${unban.id}\0${unban.time}`, record: { type: 'unban', unban } })));
  }

  /** Mails the digest now (tests; `f2b` calls it at the digest interval). */
  flushDigest(): Promise<void> {
    return this.sendDigest();
  }

  /** Events waiting for the next digest. */
  pendingDigest(): number {
    return this.digest.length + this.digestDropped;
  }

  // -------------------------------------------------------------------------------------------

  private async take(events: { key: string; record: MailEventRecord }[]): Promise<void> {
    const fresh = events.filter((e) => !this.sent.has(e.key));
    if (fresh.length === 0) return;
    if (this.config.mode === 'digest') {
      for (const e of fresh) {
        this.remember(e.key);
        if (this.digest.length < DIGEST_MAX) this.digest.push(e.record);
        else this.digestDropped++;
      }
      return;
    }
    const mail = composeEvents(
      this.config,
      this.ctx.jail,
      fresh.map((e) => e.record),
    );
    await this.deliver(mail, fresh.length === 1 ? (fresh[0]!.record.type === 'ban' ? 'a ban' : 'an unban') : `${fresh.length} events`, true);
    for (const e of fresh) this.remember(e.key);
  }

  private remember(key: string): void {
    this.sent.add(key);
    if (this.sent.size > SENT_MEMORY) this.sent.delete(this.sent.values().next().value!);
  }

  /** One mail at a time per instance; a failure is rethrown (`rethrow`: the jail's call fails) or reported once per streak (digests). */
  private deliver(mail: ReturnType<typeof composeEvents>, what: string, rethrow: boolean): Promise<void> {
    const run = this.sending.then(async () => {
      try {
        await this.sender.send(mail, what);
      } catch (err) {
        this.stats.failures++;
        this.streak.failed();
        // A rejected call is reported by the jail (and retried from its outbox): reporting it here too would say it twice.
        if (rethrow) throw err;
        if (this.streak.report(isF2bError(err) ? err.code : 'unknown')) this.ctx.error(err);
        return;
      }
      this.stats.sent++;
      const end = this.streak.succeeded();
      if (end.reported) this.ctx.logger.info(`Mail for jail ${this.ctx.jail} works again (after ${end.failures} failed attempt(s)).`);
      this.ctx.logger.debug(`Mailed ${what} to ${this.config.to.length} recipient(s).`);
    });
    this.sending = run.catch(() => undefined);
    return run;
  }

  private async sendDigest(): Promise<void> {
    if (this.digest.length === 0 && this.digestDropped === 0) return;
    const events = this.digest,
      dropped = this.digestDropped,
      since = this.digestSince,
      now = this.ctx.clock.now();
    this.digest = [];
    this.digestDropped = 0;
    this.digestSince = now;
    const before = this.stats.sent;
    await this.deliver(composeDigest(this.config, this.ctx.jail, events, since, now, dropped), `the digest of ${events.length + dropped} events`, false);
    if (this.stats.sent === before) {
      // Not taken: keep it for the next digest, oldest first.
      this.digest = [...events, ...this.digest].slice(0, DIGEST_MAX);
      this.digestDropped += dropped;
      this.digestSince = since;
    }
  }

  private armDigest(): void {
    this.digestTimer?.cancel();
    this.digestTimer = undefined;
    if (this.config.mode !== 'digest') return;
    this.digestTimer = this.ctx.clock.setTimer(this.config.digestIntervalMs, () => {
      this.armDigest();
      void this.sendDigest().catch((err: unknown) => this.ctx.error(err));
    });
  }
}
