// Node plugin metrics: NVMe/TCP connects and reconnects, stale mounts found, volumes staged.
import { Counter, Gauge, type Registry } from 'prom-client';

export class NodeMetrics {
  readonly connects: Counter<'status'>;
  readonly staleMounts: Counter<'reason'>;
  readonly reconnects: Counter<'status'>;
  readonly staged: Gauge;

  constructor(registry: Registry, stagedCount: () => number) {
    const registers = [registry];
    this.connects = new Counter({ name: 'mikrotik_kube_csi_node_nvme_connects_total', help: 'nvme connect attempts by outcome.', labelNames: ['status'], registers });
    this.staleMounts = new Counter({
      name: 'mikrotik_kube_csi_node_stale_mounts_detected_total',
      help: 'Staged volumes found with a lost controller, a vanished device or a replaced mount.',
      labelNames: ['reason'],
      registers,
    });
    this.reconnects = new Counter({ name: 'mikrotik_kube_csi_node_reconnects_total', help: 'Reconnects of lost NVMe/TCP controllers by outcome.', labelNames: ['status'], registers });
    this.staged = new Gauge({
      name: 'mikrotik_kube_csi_node_staged_volumes',
      help: 'Volumes staged on this node.',
      registers,
      collect() {
        this.set(stagedCount());
      },
    });
  }
}
