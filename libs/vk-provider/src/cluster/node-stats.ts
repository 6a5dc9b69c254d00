// Resource usage of the node and its pods for the kubelet's /stats/summary and /metrics/resource,
// from one /container list and one /system/resource read per request.
// RouterOS gives percentages (`cpu-load` of the router, `cpu-usage` of a container, 7.23+) and
// bytes (`memory-current`, free/total memory and hdd). We read `cpu-usage` as a share of the
// whole router like `cpu-load` (RouterOS documents no unit), so busy cores = % × cpu-count,
// and integrate both into cumulative core-seconds (cpu-integrator.ts). A router that does not
// report a container's usage (before 7.23) leaves that container's cpu/memory out, as the
// kubelet leaves out what cAdvisor does not know.
import type { V1Pod } from '@kubernetes/client-node';
import { parseRosDuration, type Container, type SystemResource } from '@mikrotik-kube/routeros-rest';
import { containerName } from '../core/naming';
import { CpuIntegrator } from './cpu-integrator';

export interface RouterUsage {
  containers: Container[];
  resource: SystemResource;
}

export interface Usage {
  /** Busy cores × 1e9 now. */
  cpuNanoCores?: number;
  /** Cumulative core-seconds. */
  cpuSeconds?: number;
  memoryBytes?: number;
}

export interface ContainerUsage extends Usage {
  name: string;
  startTime: Date;
}

export interface PodUsage extends Usage {
  namespace: string;
  name: string;
  uid: string;
  startTime: Date;
  containers: ContainerUsage[];
}

export interface UsageSnapshot {
  time: Date;
  node: Required<Usage> & { startTime: Date; memoryAvailableBytes: number; fsCapacityBytes: number; fsAvailableBytes: number };
  pods: PodUsage[];
}

export interface NodeStatsSource {
  usage(): Promise<RouterUsage>;
  pods(): V1Pod[] | Promise<V1Pod[]>;
  now?: () => Date;
}

const date = (v: Date | string | undefined): Date | undefined => (v === undefined ? undefined : new Date(v));

/** Sums a field over parts; undefined when no part knows it (an unknown is not a zero). */
function sum(parts: Usage[], k: keyof Usage): number | undefined {
  const known = parts.map((p) => p[k]).filter((v): v is number => v !== undefined);
  return known.length ? known.reduce((a, b) => a + b, 0) : undefined;
}

export class NodeStats {
  private readonly cpu = new CpuIntegrator();
  constructor(private readonly o: NodeStatsSource) {}

  async snapshot(): Promise<UsageSnapshot> {
    const [{ containers, resource }, pods] = await Promise.all([this.o.usage(), this.o.pods()]);
    const time = this.o.now?.() ?? new Date();
    const at = time.getTime();
    const cores = Math.max(1, resource.cpuCount);
    const seen = new Set<string>(['node']);
    const byName = new Map(containers.map((c) => [c.name, c]));

    const nodeCores = (resource.cpuLoad / 100) * cores;
    const uptime = parseRosDuration(resource.uptime) ?? 0;
    const node = {
      startTime: new Date(Math.floor((at - uptime * 1000) / 1000) * 1000),
      cpuNanoCores: Math.round(nodeCores * 1e9),
      cpuSeconds: this.cpu.sample('node', at, nodeCores),
      memoryBytes: Math.max(0, resource.totalMemory - resource.freeMemory),
      memoryAvailableBytes: resource.freeMemory,
      fsCapacityBytes: resource.totalHddSpace,
      fsAvailableBytes: resource.freeHddSpace,
    };

    const out: PodUsage[] = [];
    for (const pod of pods) {
      const ns = pod.metadata?.namespace ?? 'default';
      const name = pod.metadata?.name ?? '';
      const podStart = date(pod.status?.startTime) ?? time;
      const statuses = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
      const list: ContainerUsage[] = [];
      for (const spec of pod.spec?.containers ?? []) {
        const c = byName.get(containerName(ns, name, spec.name));
        // Like the kubelet: only running containers have usage.
        if (c?.state !== 'running') continue;
        const startTime = date(statuses.get(spec.name)?.state?.running?.startedAt) ?? podStart;
        const u: ContainerUsage = { name: spec.name, startTime, memoryBytes: c.memoryBytes };
        if (c.cpuPercent !== undefined) {
          // Keyed by start: a restarted container counts from 0 again, as the kubelet's does.
          const key = `${c.name}@${startTime.getTime()}`;
          seen.add(key);
          const busy = (c.cpuPercent / 100) * cores;
          u.cpuNanoCores = Math.round(busy * 1e9);
          u.cpuSeconds = this.cpu.sample(key, at, busy);
        }
        list.push(u);
      }
      out.push({
        namespace: ns,
        name,
        uid: pod.metadata?.uid ?? '',
        startTime: podStart,
        containers: list,
        cpuNanoCores: sum(list, 'cpuNanoCores'),
        cpuSeconds: sum(list, 'cpuSeconds'),
        memoryBytes: sum(list, 'memoryBytes'),
      });
    }
    this.cpu.retain(seen);
    return { time, node, pods: out };
  }
}
