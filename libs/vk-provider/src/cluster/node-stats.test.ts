// Usage shaping: CPU percentages integrated into monotonic core-seconds, router rows matched to
// our pods by RouterOS name, and the two kubelet bodies (stats/v1alpha1 JSON, Prometheus text).
import type { V1Pod } from '@kubernetes/client-node';
import type { Container, SystemResource } from '@mikrotik-kube/routeros-rest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containerName } from '../core/naming';
import { CpuIntegrator } from './cpu-integrator';
import { NodeStats, type RouterUsage } from './node-stats';
import { resourceMetrics } from './resource-metrics';
import { statsSummary } from './stats-summary';

describe('CpuIntegrator', () => {
  it('a constant rate integrates exactly; a new or unseen series starts at 0', () => {
    const c = new CpuIntegrator();
    expect(c.sample('a', 1000, 2)).toBe(0);
    expect(c.sample('a', 3000, 2)).toBe(4);
    expect(c.sample('a', 4000, 0)).toBe(5); // mean of 2 and 0 over 1 s
    expect(c.sample('a', 4000, 8)).toBe(5); // same instant adds nothing
    c.retain(new Set(['b']));
    expect(c.sample('a', 5000, 1)).toBe(0);
  });

  it('never decreases, whatever the readings and their order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1e7 }), fc.oneof(fc.double({ min: -5, max: 64 }), fc.constant(Number.NaN))), { maxLength: 50 }), (reads) => {
        const c = new CpuIntegrator();
        let last = 0;
        for (const [at, cores] of reads) {
          const t = c.sample('k', at, cores);
          expect(t).toBeGreaterThanOrEqual(last);
          expect(Number.isFinite(t)).toBe(true);
          last = t;
        }
      }),
    );
  });
});

const RESOURCE: SystemResource = {
  version: '7.23',
  architecture: 'arm64',
  boardName: 'RB5009',
  platform: 'MikroTik',
  uptime: '1d2h',
  cpuCount: 4,
  cpuLoad: 10,
  freeMemory: 600_000_000,
  totalMemory: 1_000_000_000,
  freeHddSpace: 300_000_000,
  totalHddSpace: 1_000_000_000,
  raw: {},
};

function row(name: string, state: Container['state'], memoryBytes?: number, cpuPercent?: number): Container {
  return { id: '*1', name, state, interfaces: [], rootDir: '', envLists: [], env: [], mountLists: [], dns: [], logging: false, startOnBoot: false, memoryBytes, cpuPercent, raw: {} };
}

const POD: V1Pod = {
  metadata: { namespace: 'shop', name: 'web', uid: 'uid-web' },
  spec: { containers: [{ name: 'app' }, { name: 'side' }, { name: 'gone' }] },
  status: { startTime: new Date('2026-01-01T00:00:00Z'), containerStatuses: [{ name: 'app', image: 'x', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: new Date('2026-01-01T00:00:05Z') } } }] },
};

describe('NodeStats', () => {
  it('matches rows to pod containers, skips stopped ones, sums pods, integrates per container', async () => {
    let now = new Date('2026-01-01T01:00:00Z');
    let usage: RouterUsage = {
      resource: RESOURCE,
      containers: [row(containerName('shop', 'web', 'app'), 'running', 50_000_000, 25), row(containerName('shop', 'web', 'side'), 'running', 10_000_000, 5), row(containerName('shop', 'web', 'gone'), 'stopped', 0, 0), row('other', 'running', 1, 1)],
    };
    const stats = new NodeStats({ usage: async () => usage, pods: () => [POD], now: () => now });
    const first = await stats.snapshot();
    expect(first.node).toMatchObject({ cpuNanoCores: 400_000_000, cpuSeconds: 0, memoryBytes: 400_000_000, memoryAvailableBytes: 600_000_000, fsCapacityBytes: 1e9, fsAvailableBytes: 3e8 });
    expect(first.node.startTime.toISOString()).toBe('2025-12-30T23:00:00.000Z');
    const [pod] = first.pods;
    expect(pod?.containers.map((c) => c.name)).toEqual(['app', 'side']);
    expect(pod?.containers[0]).toMatchObject({ cpuNanoCores: 1e9, memoryBytes: 50_000_000, startTime: new Date('2026-01-01T00:00:05Z') });
    // No container status yet: the pod's start.
    expect(pod?.containers[1]?.startTime).toEqual(new Date('2026-01-01T00:00:00Z'));
    expect(pod).toMatchObject({ cpuNanoCores: 1.2e9, memoryBytes: 60_000_000, uid: 'uid-web' });

    now = new Date('2026-01-01T01:00:10Z');
    usage = { ...usage, containers: usage.containers.map((c) => (c.name.endsWith('app') ? { ...c, cpuPercent: 75 } : c)) };
    const second = await stats.snapshot();
    // app: (1 + 3 cores)/2 × 10 s; side: 0.2 cores × 10 s; node: 0.4 cores × 10 s.
    expect(second.pods[0]?.containers.map((c) => c.cpuSeconds)).toEqual([20, 2]);
    expect(second.pods[0]?.cpuSeconds).toBe(22);
    expect(second.node.cpuSeconds).toBeCloseTo(4, 9);
  });

  it('a router without usage fields (before 7.23) leaves container cpu and memory unknown, not 0', async () => {
    const stats = new NodeStats({ usage: async () => ({ resource: RESOURCE, containers: [row(containerName('shop', 'web', 'app'), 'running')] }), pods: () => [POD] });
    const s = await stats.snapshot();
    const c = s.pods[0]?.containers[0];
    expect([c?.name, c?.cpuSeconds, c?.cpuNanoCores, c?.memoryBytes]).toEqual(['app', undefined, undefined, undefined]);
    expect(s.pods[0]?.memoryBytes).toBeUndefined();
    const summary = statsSummary('n1', s);
    expect(summary.pods[0]?.containers[0]).toEqual({ name: 'app', startTime: '2026-01-01T00:00:05.000Z', cpu: undefined, memory: undefined });
    const text = resourceMetrics(s);
    expect(text).not.toMatch(/^container_cpu_usage_seconds_total\{/m);
    expect(text).toMatch(/^container_start_time_seconds\{container="app",namespace="shop",pod="web"\} 1767225605 1767225605000$/m);
  });
});

describe('bodies', () => {
  const snapshot = async () => {
    const stats = new NodeStats({
      usage: async () => ({ resource: RESOURCE, containers: ['web', 'we"b\\'].map((pod) => row(containerName('shop', pod, 'app'), 'running', 50_000_000, 25)) }),
      pods: () => [{ ...POD, metadata: { ...POD.metadata, name: 'we"b\\' } }, POD],
      now: () => new Date('2026-01-01T01:00:00Z'),
    });
    return stats.snapshot();
  };

  it('stats/v1alpha1 Summary', async () => {
    const s = statsSummary('router-1', await snapshot());
    const time = '2026-01-01T01:00:00.000Z';
    expect(s.node).toEqual({
      nodeName: 'router-1',
      startTime: '2025-12-30T23:00:00.000Z',
      cpu: { time, usageNanoCores: 400_000_000, usageCoreNanoSeconds: 0 },
      memory: { time, availableBytes: 600_000_000, usageBytes: 400_000_000, workingSetBytes: 400_000_000 },
      fs: { time, availableBytes: 3e8, capacityBytes: 1e9, usedBytes: 7e8 },
    });
    expect(s.pods[1]).toEqual({
      podRef: { name: 'web', namespace: 'shop', uid: 'uid-web' },
      startTime: '2026-01-01T00:00:00.000Z',
      containers: [{ name: 'app', startTime: '2026-01-01T00:00:05.000Z', cpu: { time, usageNanoCores: 1e9, usageCoreNanoSeconds: 0 }, memory: { time, usageBytes: 50_000_000, workingSetBytes: 50_000_000 } }],
      cpu: { time, usageNanoCores: 1e9, usageCoreNanoSeconds: 0 },
      memory: { time, usageBytes: 50_000_000, workingSetBytes: 50_000_000 },
    });
  });

  it('Prometheus text as the kubelet writes it: HELP/TYPE, sorted families and labels, ms timestamps, escaped values', async () => {
    const text = resourceMetrics(await snapshot());
    const ts = Date.parse('2026-01-01T01:00:00Z');
    const names = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(names).toEqual([
      'container_cpu_usage_seconds_total counter',
      'container_memory_working_set_bytes gauge',
      'container_start_time_seconds gauge',
      'node_cpu_usage_seconds_total counter',
      'node_memory_working_set_bytes gauge',
      'pod_cpu_usage_seconds_total counter',
      'pod_memory_working_set_bytes gauge',
      'resource_scrape_error gauge',
      'scrape_error gauge',
    ]);
    expect(text).toContain(`\ncontainer_memory_working_set_bytes{container="app",namespace="shop",pod="web"} 50000000 ${ts}\n`);
    expect(text).toContain(`\ncontainer_memory_working_set_bytes{container="app",namespace="shop",pod="we\\"b\\\\"} 50000000 ${ts}\n`);
    expect(text).toContain(`\nnode_memory_working_set_bytes 400000000 ${ts}\n`);
    expect(text).toContain(`\npod_memory_working_set_bytes{namespace="shop",pod="web"} 50000000 ${ts}\n`);
    expect(text).toContain('\n# HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the node in core-seconds\n');
    expect(text).toMatch(/\nresource_scrape_error 0\n[^]*\nscrape_error 0\n$/);
  });

  it('a failed read gives only the error gauges at 1', () => {
    expect(resourceMetrics(undefined).split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['resource_scrape_error 1', 'scrape_error 1']);
  });
});
