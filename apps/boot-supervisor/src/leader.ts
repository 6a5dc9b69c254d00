// Which replica acts on the router. Only one supervisor may start and restart
// containers, or two would fight over them. With a cluster the replicas race
// for a coordination.k8s.io Lease (client-go's algorithm: acquire when free or
// expired, renew while holding, step down when renewal fails past the
// deadline, release on shutdown); without one, the single process leads.
import { CoordinationV1Api, KubeConfig, V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import type { LoggerLike } from './supervisor';

export interface LeaderElector {
  /** Starts campaigning; `onChange` is called whenever leadership is won or lost. */
  start(onChange: (leading: boolean) => void): Promise<void>;
  /** Stops campaigning and releases leadership if held. */
  stop(): Promise<void>;
  readonly leading: boolean;
}

/** No cluster: this process is the only replica. */
export class SoloElector implements LeaderElector {
  leading = false;

  async start(onChange: (leading: boolean) => void): Promise<void> {
    this.leading = true;
    onChange(true);
  }

  async stop(): Promise<void> {
    this.leading = false;
  }
}

export interface LeaseElectorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  /** Give up leadership if no renewal succeeded for this long (< leaseDurationMs). */
  renewDeadlineMs: number;
  retryPeriodMs: number;
  logger: LoggerLike;
}

export class LeaseElector implements LeaderElector {
  leading = false;
  private readonly api: CoordinationV1Api;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private lastRenewMs = 0;
  private onChange: (leading: boolean) => void = () => undefined;
  private round: Promise<void> | undefined;

  constructor(private readonly o: LeaseElectorOptions) {
    if (o.renewDeadlineMs >= o.leaseDurationMs) throw new Error('leader: renewDeadline must be shorter than leaseDuration');
    this.api = o.kubeConfig.makeApiClient(CoordinationV1Api);
  }

  async start(onChange: (leading: boolean) => void): Promise<void> {
    this.onChange = onChange;
    this.running = true;
    await this.tick();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.round;
    if (!this.leading) return;
    this.setLeading(false);
    try {
      // Release so a standby takes over at once instead of after the lease expires.
      const lease = await this.read();
      if (lease?.spec?.holderIdentity === this.o.identity) {
        lease.spec.holderIdentity = '';
        lease.spec.leaseDurationSeconds = 1;
        await this.api.replaceNamespacedLease({ name: this.o.name, namespace: this.o.namespace, body: lease });
      }
    } catch (err) {
      this.o.logger.warn('leader: release failed', { error: (err as Error).message });
    }
  }

  private async tick(): Promise<void> {
    this.round = this.tryAcquireOrRenew()
      .then((held) => {
        if (held) this.lastRenewMs = Date.now();
        this.setLeading(held);
      })
      .catch((err: unknown) => {
        // The API server is unreachable: keep leading until the renew deadline, then step down.
        this.o.logger.warn('leader: lease call failed', { error: (err as Error).message });
        if (this.leading && Date.now() - this.lastRenewMs >= this.o.renewDeadlineMs) this.setLeading(false);
      });
    await this.round;
    if (this.running) this.timer = setTimeout(() => void this.tick(), this.o.retryPeriodMs);
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.o.logger.info(leading ? 'leader: acquired lease' : 'leader: lost lease', { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity });
    this.onChange(leading);
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  /** One round; true if this replica holds the lease afterwards. Conflicts mean someone else won. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new V1MicroTime();
    const durationS = Math.ceil(this.o.leaseDurationMs / 1000);
    const lease = await this.read();
    if (!lease) {
      const body: V1Lease = {
        metadata: { name: this.o.name, namespace: this.o.namespace },
        spec: { holderIdentity: this.o.identity, leaseDurationSeconds: durationS, acquireTime: now, renewTime: now, leaseTransitions: 0 },
      };
      return this.write(() => this.api.createNamespacedLease({ namespace: this.o.namespace, body }));
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired = renewed + (spec.leaseDurationSeconds ?? durationS) * 1000 < Date.now();
    if (holder !== this.o.identity && holder !== '' && !expired) return false;
    const takeOver = holder !== this.o.identity;
    lease.spec = {
      ...spec,
      holderIdentity: this.o.identity,
      leaseDurationSeconds: durationS,
      renewTime: now,
      ...(takeOver ? { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
    };
    // metadata.resourceVersion makes this a compare-and-swap: a concurrent writer gets 409.
    return this.write(() => this.api.replaceNamespacedLease({ name: this.o.name, namespace: this.o.namespace, body: lease }));
  }

  private async write(call: () => Promise<V1Lease>): Promise<boolean> {
    try {
      await call();
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 409) return false;
      throw err;
    }
  }
}

/** A Lease elector when a kubeconfig is given or the process runs in a cluster; else solo. */
export function createElector(o: Omit<LeaseElectorOptions, 'kubeConfig'> & { kubeconfig: string }): LeaderElector {
  const kc = new KubeConfig();
  if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
  else if (process.env['KUBERNETES_SERVICE_HOST']) kc.loadFromCluster();
  else return new SoloElector();
  return new LeaseElector({ ...o, kubeConfig: kc });
}
