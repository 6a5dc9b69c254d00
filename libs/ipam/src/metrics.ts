// ipam's own metrics: pool size, used and free per network (read from the
// pools at scrape time), allocation latency and claim conflicts.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Pool } from './pool';

export interface IpamMetrics {
  allocation: Histogram<'network' | 'outcome'>;
  conflicts: Counter<'network'>;
}

export function registerIpamMetrics(registry: Registry, pools: () => Iterable<Pool>): IpamMetrics {
  const registers = [registry];
  const poolGauge = (name: string, help: string, value: (p: Pool) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['network'],
      registers,
      collect() {
        for (const p of pools()) this.set({ network: p.network.name }, value(p));
      },
    });
  poolGauge('mikrotik_kube_ipam_pool_size', 'Addresses the network can hand out.', (p) => p.size);
  poolGauge('mikrotik_kube_ipam_pool_used', 'Addresses taken (ours or held by veths that are not ours).', (p) => p.used);
  poolGauge('mikrotik_kube_ipam_pool_free', 'Addresses still free.', (p) => p.free);
  return {
    allocation: new Histogram({
      name: 'mikrotik_kube_ipam_allocation_duration_seconds',
      help: 'Time to answer an Allocate, by network and outcome (gRPC code name).',
      labelNames: ['network', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    conflicts: new Counter({
      name: 'mikrotik_kube_ipam_claim_conflicts_total',
      help: 'Claims the router refused because the address was taken meanwhile (another replica or a foreign interface).',
      labelNames: ['network'],
      registers,
    }),
  };
}
