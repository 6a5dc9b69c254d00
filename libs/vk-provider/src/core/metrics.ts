// vk-provider's own metrics, both modes: reconcile passes (count, duration,
// result), pod operations on the router, and pods by phase as the core reports
// them (computed at scrape time from the reconcile records and unit states).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { podStatus } from './pod-status';
import type { PodRecord, SyncResult } from './reconciler';
import type { UnitStatus } from './services';

export interface ReconcileMetrics {
  observe(result: SyncResult, seconds: number): void;
}

export function reconcileMetrics(
  registry: Registry,
  records: () => Iterable<PodRecord>,
  units: () => ReadonlyMap<string, UnitStatus>,
): ReconcileMetrics {
  const passes = new Counter({ name: 'mikrotik_kube_vk_reconcile_passes_total', help: 'Reconcile passes by result (ok, or failed when a pod could not be synced).', labelNames: ['result'], registers: [registry] });
  const duration = new Histogram({ name: 'mikrotik_kube_vk_reconcile_pass_seconds', help: 'Duration of reconcile passes.', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [registry] });
  const ops = new Counter({ name: 'mikrotik_kube_vk_pod_operations_total', help: 'Pods created, recreated, removed or failed on the router.', labelNames: ['operation'], registers: [registry] });
  new Gauge({
    name: 'mikrotik_kube_vk_pods',
    help: 'Pods this vk-provider runs, by phase.',
    labelNames: ['phase'],
    registers: [registry],
    collect() {
      this.reset();
      const u = units();
      for (const r of records()) this.inc({ phase: podStatus(r, u).phase ?? 'Unknown' });
    },
  });
  return {
    observe(result, seconds) {
      passes.inc({ result: result.failed.length ? 'failed' : 'ok' });
      duration.observe(seconds);
      for (const op of ['created', 'recreated', 'removed', 'failed'] as const) if (result[op].length) ops.inc({ operation: op }, result[op].length);
    },
  };
}
