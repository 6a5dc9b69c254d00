// Which replica acts on the router. Only one supervisor may start and restart
// containers, or two would fight over them. With a cluster the replicas race
// for a coordination.k8s.io Lease (@mikrotik-kube/leader-election: client-go's
// algorithm); without one, the single process leads.
//
// Unlike vk-provider, a supervisor that lost leadership does not exit: once its
// work has stopped (onChange(false) settled) it campaigns again as a standby with
// a fresh elector, since activate() rebuilds its state from the state file.
// The Kubernetes client (≈ 75 MB of memory) is loaded only when there is a cluster.
import type { LeaseElectorOptions } from './lease-elector';

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

/** A Lease elector when a kubeconfig is given or the process runs in a cluster; else solo. */
export async function createElector(o: Omit<LeaseElectorOptions, 'kubeConfig'> & { kubeconfig: string }): Promise<LeaderElector> {
  if (!o.kubeconfig && !process.env['KUBERNETES_SERVICE_HOST']) return new SoloElector();
  const { leaseElector } = await import('./lease-elector');
  return leaseElector(o);
}

/** The Lease elector class, loaded on demand (tests against a real API server). */
export async function loadLeaseElector(): Promise<typeof import('./lease-elector').LeaseElector> {
  return (await import('./lease-elector')).LeaseElector;
}
