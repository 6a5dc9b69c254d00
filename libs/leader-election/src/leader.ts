// Leader election among replicas on a coordination.k8s.io/v1 Lease with
// client-go `leaderelection` semantics: a lease that is missing, ours, released
// (empty holder) or expired may be taken; every write is a resourceVersion-guarded
// replace (or a create), so two candidates racing cannot both win — the loser
// gets a 409 and stays standby. Expiry is judged on our own monotonic clock from
// when we last saw the record change, never from the renewTime written by
// another host (clock skew).
//
// Contract with the caller: onStartedLeading starts the work. Leadership lost
// involuntarily (renewals failing for longer than renewDeadlineSeconds, or the
// lease found held by someone else) calls onStoppedLeading exactly once and the
// elector stops for good; the caller then exits (client-go style) or campaigns
// again with a new elector once its work has stopped. stop() and release() are
// voluntary and do not call it. On clean shutdown stop the work first, then
// release(): a standby takes over within one retry period instead of waiting
// for the lease to expire. An elector is single-use: once stopped, released or
// deposed it does not start again.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  ApiException,
  type ConfigurationOptions,
  type CoordinationV1Api,
  Observable,
  type RequestContext,
  type ResponseContext,
  type V1Lease,
  type V1LeaseSpec,
  V1MicroTime,
} from '@kubernetes/client-node';
import type { Logger, Readiness } from '@mikrotik-kube/service-kit';
import { Gauge, type Registry } from 'prom-client';

export interface LeaderElectionMetrics {
  registry: Registry;
  /** Gauge name, 1 while leading, else 0 (default leader_election_leading). Shared by electors on one registry. */
  name?: string;
  /** This elector's series (default { lease: <lease name> }); the same label names for every elector of one gauge. */
  labels?: Record<string, string>;
}

export interface LeaderElectionOptions {
  coordination: CoordinationV1Api;
  namespace: string;
  /** Lease name: one per thing that must have a single leader. */
  name: string;
  /** Unique per replica, e.g. leaderIdentity(). */
  identity: string;
  /** How long a lease stays valid after its last renewal, whole seconds (client-go default 15). */
  leaseDurationSeconds: number;
  /** A leader that could not renew for this long stops leading (default 10). */
  renewDeadlineSeconds: number;
  /** Period of renewals and of acquire attempts (default 2). */
  retryPeriodSeconds: number;
  logger: Logger;
  onStartedLeading(): void | Promise<void>;
  onStoppedLeading(): void | Promise<void>;
  metrics?: LeaderElectionMetrics;
}

/** hostname (the pod name in a Deployment), pid and a random suffix: unique even across restarts in place. */
export function leaderIdentity(): string {
  return `${hostname()}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** The spec fields whose change restarts the expiry clock (client-go compares the whole record). */
interface Observed {
  key: string;
  holder: string;
  durationSeconds: number;
  at: number;
}

export class LeaderElector {
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private stopping = false;
  private leading = false;
  private lost: string | undefined;
  private observed: Observed | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private lastRenew = 0;
  private lastError = '';
  private readonly gauge: { gauge: Gauge; labels: Record<string, string> } | undefined;
  private readonly lease: string;

  constructor(private readonly o: LeaderElectionOptions) {
    const { leaseDurationSeconds: lease, renewDeadlineSeconds: renew, retryPeriodSeconds: retry } = o;
    // The same checks as client-go's NewLeaderElector: a leader must give up before its lease can expire.
    if (!(retry > 0) || !(renew > retry * JITTER) || !(lease > renew)) {
      throw new Error(
        `leader election timings must satisfy leaseDurationSeconds (${lease}) > renewDeadlineSeconds (${renew}) > ${JITTER} × retryPeriodSeconds (${retry}) > 0`,
      );
    }
    // The Lease stores it as an int32.
    if (!Number.isInteger(lease)) throw new Error(`leaseDurationSeconds must be whole seconds, got ${lease}`);
    if (!o.identity) throw new Error('leader election identity must not be empty');
    if (!o.name) throw new Error('leader election lease name must not be empty');
    this.lease = `${o.namespace}/${o.name}`;
    if (o.metrics) this.gauge = leaderGauge(o.metrics, o.name);
    this.setLeading(false);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** For /readyz: a standby is ready too (it is healthy and waiting); one that lost leadership is not. */
  readiness(): Readiness {
    if (this.lost) return { ok: false, detail: `lost leadership of lease ${this.lease}: ${this.lost}` };
    if (this.leading) return { ok: true, detail: `leader (${this.o.identity})` };
    const holder = this.observed?.holder;
    return { ok: true, detail: `standby: ${holder ? `held by ${holder}` : this.observed ? 'lease free' : 'lease not read yet'}` };
  }

  start(): void {
    if (this.loop || this.lost || this.stopping) return;
    this.o.logger.info('leader election started', { lease: this.lease, identity: this.o.identity });
    this.loop = this.run().catch((err: unknown) => void this.o.logger.error('leader election loop failed', { lease: this.lease, error: message(err) }));
  }

  /** Stops campaigning and renewing without touching the lease (it expires on its own). */
  async stop(): Promise<void> {
    // Set first: a round still in flight must not start leading after stop() was called.
    this.stopping = true;
    this.interrupt();
    await this.loop;
    clearTimeout(this.deadline);
    this.setLeading(false);
  }

  /** Stops, then hands the lease back if we still hold it. Returns whether it was released. */
  async release(): Promise<boolean> {
    await this.stop();
    const { namespace, name } = this.o;
    try {
      const options = within(this.o.renewDeadlineSeconds * 1000);
      const lease = await this.o.coordination.readNamespacedLease({ name, namespace }, options);
      if (lease.spec?.holderIdentity !== this.o.identity) return false;
      // An empty holder reads as free at once; duration 1 covers candidates that only check expiry.
      const now = new V1MicroTime();
      const spec = { ...keptSpec(lease.spec), holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now };
      await this.o.coordination.replaceNamespacedLease({ name, namespace, body: { ...lease, spec } }, options);
      this.o.logger.info('leader lease released', { lease: this.lease, identity: this.o.identity });
      return true;
    } catch (err) {
      // Someone changed it meanwhile (409) or it is gone: nothing of ours to give back.
      this.o.logger.warn('leader lease not released', { lease: this.lease, error: message(err) });
      return false;
    }
  }

  /** One round at a time, never two at once, until stopped or deposed. */
  private async run(): Promise<void> {
    while (!this.lost && !this.stopping) {
      await this.tick();
      // Leaders renew on the period; candidates add up to 20% jitter so racing replicas drift apart.
      const jitter = this.leading ? 1 : 1 + Math.random() * (JITTER - 1);
      if (!this.lost && !this.stopping) await this.sleep(this.o.retryPeriodSeconds * 1000 * jitter);
    }
  }

  /** A pause that interrupt() ends early. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private interrupt(): void {
    this.wake?.();
    this.wake = undefined;
  }

  private async tick(): Promise<void> {
    // Stamped before the clock starts: the deadline never ends earlier than renewTime + renewDeadline.
    const now = new V1MicroTime();
    const started = performance.now();
    // A leader's request may not outlive its renew deadline; a candidate's gets the same bound.
    const budget = this.leading ? this.lastRenew + this.o.renewDeadlineSeconds * 1000 - started : this.o.renewDeadlineSeconds * 1000;
    try {
      const round = await this.tryAcquireOrRenew(now, within(budget));
      if (this.lost || this.stopping) return;
      this.lastError = '';
      if (round === 'held') {
        this.lastRenew = started;
        this.armDeadline();
        if (!this.leading) this.becomeLeader();
      } else if (round === 'other' && this.leading) {
        this.loseLeadership(`lease taken by ${this.observed?.holder || 'nobody'}`);
      } else if (round === 'conflict' && this.leading) {
        // Someone wrote the lease between our read and write; the next round reads who holds it.
        this.o.logger.warn('leader lease renewal conflicted, retrying', { lease: this.lease });
      }
    } catch (err) {
      // A leader keeps retrying until the deadline timer fires; log each new kind of failure once.
      const text = message(err);
      if (text !== this.lastError) this.o.logger.warn('leader election request failed', { lease: this.lease, leading: this.leading, error: text });
      this.lastError = text;
    }
  }

  /** One round: we hold the lease, another valid holder does, or a concurrent write beat ours (409). */
  private async tryAcquireOrRenew(now: V1MicroTime, options: ConfigurationOptions): Promise<'held' | 'other' | 'conflict'> {
    const { namespace, name, identity } = this.o;
    let lease: V1Lease | undefined;
    try {
      lease = await this.o.coordination.readNamespacedLease({ name, namespace }, options);
    } catch (err) {
      if (!hasCode(err, 404)) throw err;
    }
    if (!lease) {
      const spec = { holderIdentity: identity, leaseDurationSeconds: this.o.leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 };
      try {
        this.observe(await this.o.coordination.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec } }, options));
        return 'held';
      } catch (err) {
        if (hasCode(err, 409)) return 'conflict'; // another candidate created it first
        throw err;
      }
    }
    this.observe(lease);
    const old = lease.spec ?? {};
    const holder = old.holderIdentity ?? '';
    const ours = holder === identity;
    if (holder && !ours && !this.expired()) return 'other';
    // A takeover is stamped when it was decided, after the expiry check, not when the round began.
    const stamp = ours ? now : new V1MicroTime();
    const spec: V1LeaseSpec = {
      ...keptSpec(old),
      holderIdentity: identity,
      leaseDurationSeconds: this.o.leaseDurationSeconds,
      renewTime: stamp,
      acquireTime: ours && old.acquireTime ? new V1MicroTime(String(old.acquireTime)) : stamp,
      leaseTransitions: (old.leaseTransitions ?? 0) + (ours ? 0 : 1),
    };
    try {
      // The read resourceVersion rides along: a concurrent writer turns this into a 409.
      this.observe(await this.o.coordination.replaceNamespacedLease({ name, namespace, body: { ...lease, spec } }, options));
      if (!ours) this.o.logger.info('leader lease acquired', { lease: this.lease, identity, previous: holder || undefined, transitions: spec.leaseTransitions });
      return 'held';
    } catch (err) {
      if (hasCode(err, 409)) return 'conflict';
      throw err;
    }
  }

  /** Restarts the expiry clock when the record changed since we last looked. */
  private observe(lease: V1Lease): void {
    const s = lease.spec ?? {};
    const holder = s.holderIdentity ?? '';
    const key = JSON.stringify([holder, String(s.renewTime ?? ''), String(s.acquireTime ?? ''), s.leaseTransitions ?? 0, s.leaseDurationSeconds ?? 0]);
    if (this.observed?.key === key) return;
    if (!this.leading && holder !== this.observed?.holder && holder !== this.o.identity) {
      this.o.logger.info('leader lease observed', { lease: this.lease, holder: holder || '(released)' });
    }
    this.observed = { key, holder, durationSeconds: s.leaseDurationSeconds ?? this.o.leaseDurationSeconds, at: performance.now() };
  }

  private expired(): boolean {
    const o = this.observed;
    return !o || performance.now() >= o.at + o.durationSeconds * 1000;
  }

  private armDeadline(): void {
    clearTimeout(this.deadline);
    const left = this.lastRenew + this.o.renewDeadlineSeconds * 1000 - performance.now();
    this.deadline = setTimeout(() => this.loseLeadership(`not renewed for ${this.o.renewDeadlineSeconds} s`), Math.max(0, left));
  }

  private becomeLeader(): void {
    this.setLeading(true);
    this.o.logger.info('started leading', { lease: this.lease, identity: this.o.identity });
    // Not awaited: the work may take a while to start, renewals must go on meanwhile.
    this.callback('onStartedLeading', () => this.o.onStartedLeading());
  }

  private loseLeadership(reason: string): void {
    if (this.lost) return;
    this.lost = reason;
    clearTimeout(this.deadline);
    this.setLeading(false);
    // Ends the loop's pause; a round in flight sees `lost` and changes nothing.
    this.interrupt();
    this.o.logger.error('stopped leading', { lease: this.lease, identity: this.o.identity, reason });
    this.callback('onStoppedLeading', () => this.o.onStoppedLeading());
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    this.gauge?.gauge.set(this.gauge.labels, leading ? 1 : 0);
  }

  private callback(name: string, fn: () => void | Promise<void>): void {
    void Promise.resolve()
      .then(fn)
      .catch((err: unknown) => this.o.logger.error(`${name} failed`, { lease: this.lease, error: message(err) }));
  }
}

/** client-go's JitterFactor bound: renewDeadline must exceed it × retryPeriod. */
const JITTER = 1.2;

/** The registry's gauge of that name if another elector made it, else a new one. */
function leaderGauge(m: LeaderElectionMetrics, lease: string): { gauge: Gauge; labels: Record<string, string> } {
  const name = m.name ?? 'leader_election_leading';
  const labels = m.labels ?? { lease };
  const existing = m.registry.getSingleMetric(name);
  if (existing && !(existing instanceof Gauge)) throw new Error(`metric ${name} exists and is not a gauge`);
  const gauge =
    existing ??
    new Gauge({ name, help: 'Whether this replica holds the leader Lease (1) or stands by (0).', labelNames: Object.keys(labels), registers: [m.registry] });
  return { gauge, labels };
}

/** The spec as read, with MicroTime strings re-wrapped so they serialize with six fractional digits again. */
function keptSpec(spec: V1LeaseSpec | undefined): V1LeaseSpec {
  const s = { ...spec };
  if (s.acquireTime) s.acquireTime = new V1MicroTime(String(s.acquireTime));
  if (s.renewTime) s.renewTime = new V1MicroTime(String(s.renewTime));
  return s;
}

/** Per-request options that abort the HTTP request after ms. */
function within(ms: number): ConfigurationOptions {
  const signal = AbortSignal.timeout(Math.max(1, Math.ceil(ms)));
  return {
    middleware: [
      {
        pre: (ctx: RequestContext) => {
          ctx.setSignal(signal);
          return new Observable(Promise.resolve(ctx));
        },
        post: (res: ResponseContext) => new Observable(Promise.resolve(res)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

function hasCode(err: unknown, code: number): boolean {
  return err instanceof ApiException && err.code === code;
}

function message(err: unknown): string {
  if (err instanceof ApiException) return `HTTP ${err.code}: ${typeof err.body === 'string' ? err.body.slice(0, 200) : JSON.stringify(err.body).slice(0, 200)}`;
  return err instanceof Error ? err.message : String(err);
}
