// The Lease elector: replicas race for a coordination.k8s.io Lease with client-go's algorithm
// (@mikrotik-kube/leader-election). Loaded by leader.ts only when there is a cluster.
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { LeaderElector as LeaseCampaign, leaderIdentity } from '@mikrotik-kube/leader-election';
import type { Logger } from '@mikrotik-kube/service-kit';
import type { LeaderElector, LeadershipChange } from './leader';

export interface LeaseElectorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  /** '' = this process's own (host, pid, random). */
  identity: string;
  /** Whole seconds are written to the Lease (rounded up). */
  leaseDurationMs: number;
  /** Give up leadership if no renewal succeeded for this long (< leaseDurationMs, > 1.2 × retryPeriodMs). */
  renewDeadlineMs: number;
  retryPeriodMs: number;
  logger: Logger;
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

/** A Lease elector from a kubeconfig file, or the in-cluster config when it is ''. */
export function leaseElector(o: Omit<LeaseElectorOptions, 'kubeConfig'> & { kubeconfig: string }): LeaseElector {
  const { kubeconfig, ...rest } = o;
  const kc = new KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromCluster();
  return new LeaseElector({ ...rest, identity: rest.identity || leaderIdentity(), kubeConfig: kc });
}
