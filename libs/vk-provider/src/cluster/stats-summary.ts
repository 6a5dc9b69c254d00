// The kubelet's GET /stats/summary body (stats/v1alpha1 Summary) from a usage snapshot: the
// fields metrics-server (before 0.6), `kubectl top` tooling and dashboards read. Memory of a
// RouterOS container is one number, so it is both usage and working set; the router's hdd is
// the node's fs. Fields we cannot know (network, rlimit, volumes) are left out, not zeroed.
import type { Usage, UsageSnapshot } from './node-stats';

export interface CpuStats {
  time: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds?: number;
}
export interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes?: number;
  workingSetBytes?: number;
}
export interface FsStats {
  time: string;
  availableBytes: number;
  capacityBytes: number;
  usedBytes: number;
}
export interface ContainerStats {
  name: string;
  startTime: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
}
export interface PodStats {
  podRef: { name: string; namespace: string; uid: string };
  startTime: string;
  containers: ContainerStats[];
  cpu?: CpuStats;
  memory?: MemoryStats;
}
export interface Summary {
  node: { nodeName: string; startTime: string; cpu: CpuStats; memory: MemoryStats; fs: FsStats };
  pods: PodStats[];
}

function cpu(u: Usage, time: string): CpuStats | undefined {
  if (u.cpuNanoCores === undefined) return undefined;
  return { time, usageNanoCores: u.cpuNanoCores, usageCoreNanoSeconds: Math.round((u.cpuSeconds ?? 0) * 1e9) };
}

function memory(u: Usage, time: string): MemoryStats | undefined {
  if (u.memoryBytes === undefined) return undefined;
  return { time, usageBytes: u.memoryBytes, workingSetBytes: u.memoryBytes };
}

export function statsSummary(nodeName: string, s: UsageSnapshot): Summary {
  const time = s.time.toISOString();
  const n = s.node;
  return {
    node: {
      nodeName,
      startTime: n.startTime.toISOString(),
      cpu: { time, usageNanoCores: n.cpuNanoCores, usageCoreNanoSeconds: Math.round(n.cpuSeconds * 1e9) },
      memory: { time, availableBytes: n.memoryAvailableBytes, usageBytes: n.memoryBytes, workingSetBytes: n.memoryBytes },
      fs: { time, availableBytes: n.fsAvailableBytes, capacityBytes: n.fsCapacityBytes, usedBytes: Math.max(0, n.fsCapacityBytes - n.fsAvailableBytes) },
    },
    pods: s.pods.map((p) => ({
      podRef: { name: p.name, namespace: p.namespace, uid: p.uid },
      startTime: p.startTime.toISOString(),
      containers: p.containers.map((c) => ({ name: c.name, startTime: c.startTime.toISOString(), cpu: cpu(c, time), memory: memory(c, time) })),
      cpu: cpu(p, time),
      memory: memory(p, time),
    })),
  };
}
