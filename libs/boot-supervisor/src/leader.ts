// Which replica acts on the router. Only one supervisor may start and restart
// containers, or two would fight over them. With a cluster the replicas race
// for a coordination.k8s.io Lease (@mikrotik-kube/leader-election: client-go's
// algorithm); without one, the single process leads.
//
// Unlike vk-provider, a supervisor that lost leadership does not exit: once its
// work has stopped (onChange(false) settled) it campaigns again as a standby with
// a fresh elector, since activate() rebuilds its state from the state file.
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { LeaderElector as LeaseCampaign } from '@mikrotik-kube/leader-election';
import type { LoggerLike } from './supervisor';

/** Called when leadership is won (true) or lost (false); a returned promise is awaited before campaigning again. */
export type LeadershipChange = (leading: boolean) => unknown;

export interface LeaderElector {
  /** Starts campaigning; `onChange` is called whenever leadership is won or lost. */
  start(onChange: LeadershipChange): Promise<void>;
  /** Stops campaigning, stops the work (onChange(false)) if leading, then releases the lease. */
  stop(): Promise<void>;
  readonly leading: boolean;
}

/** No cluster: this process is the only replica. */
export class SoloElector implements LeaderElector {
  leading = false;

  async start(onChange: LeadershipChange): Promise<void> {
    this.leading = true;
    await onChange(true);
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
  /** Whole seconds are written to the Lease (rounded up). */
  leaseDurationMs: number;
  /** Give up leadership if no renewal succeeded for this long (< leaseDurationMs, > 1.2 × retryPeriodMs). */
  renewDeadlineMs: number;
  retryPeriodMs: number;
  logger: LoggerLike;
}

export class LeaseElector implements LeaderElector {
  leading = false;
  private readonly api: CoordinationV1Api;
  private campaign: LeaseCampaign;
  private running = false;
  private onChange: LeadershipChange = () => undefined;

  constructor(private readonly o: LeaseElectorOptions) {
    this.api = o.kubeConfig.makeApiClient(CoordinationV1Api);
    // Built here so bad timings fail at startup, not at the first election.
    this.campaign = this.newCampaign();
  }

  async start(onChange: LeadershipChange): Promise<void> {
    this.onChange = onChange;
    this.running = true;
    this.campaign.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.campaign.stop();
    // Stop acting before handing the lease over, or a standby could act while we still do.
    if (this.leading) await this.change(false);
    await this.campaign.release();
  }

  private newCampaign(): LeaseCampaign {
    const { kubeConfig: _, leaseDurationMs, renewDeadlineMs, retryPeriodMs, ...o } = this.o;
    return new LeaseCampaign({
      ...o,
      coordination: this.api,
      leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
      renewDeadlineSeconds: renewDeadlineMs / 1000,
      retryPeriodSeconds: retryPeriodMs / 1000,
      onStartedLeading: () => this.change(true),
      onStoppedLeading: async () => {
        await this.change(false);
        if (!this.running) return;
        this.campaign = this.newCampaign();
        this.campaign.start();
      },
    });
  }

  private async change(leading: boolean): Promise<void> {
    this.leading = leading;
    await this.onChange(leading);
  }
}

/** A Lease elector when a kubeconfig is given or the process runs in a cluster; else solo. */
export function createElector(o: Omit<LeaseElectorOptions, 'kubeConfig'> & { kubeconfig: string }): LeaderElector {
  const { kubeconfig, ...rest } = o;
  const kc = new KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else if (process.env['KUBERNETES_SERVICE_HOST']) kc.loadFromCluster();
  else return new SoloElector();
  return new LeaseElector({ ...rest, kubeConfig: kc });
}
