// The kubelet's GET /metrics/resource body (Prometheus text 0.0.4), which metrics-server ≥0.6
// scrapes: the families and labels the kubelet's resource collector writes, each sample with
// the time it was read (ms), families sorted by name. A failed read gives only the error gauges
// set to 1 (still 200), as the kubelet does when its stats provider fails.
import type { UsageSnapshot } from './node-stats';

export const RESOURCE_METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: { labels?: Record<string, string>; value: number; atMs?: number }[];
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function render(families: Family[]): string {
  const out: string[] = [];
  for (const f of [...families].sort((a, b) => a.name.localeCompare(b.name))) {
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}="${escape(v)}"`)
        .join(',');
      out.push(`${f.name}${labels ? `{${labels}}` : ''} ${s.value}${s.atMs === undefined ? '' : ` ${s.atMs}`}`);
    }
  }
  return `${out.join('\n')}\n`;
}

const ERROR_HELP = '1 if there was an error while getting container metrics, 0 otherwise';

function errorFamilies(failed: boolean): Family[] {
  const v = failed ? 1 : 0;
  return [
    { name: 'scrape_error', help: `[ALPHA] ${ERROR_HELP}`, type: 'gauge', samples: [{ value: v }] },
    { name: 'resource_scrape_error', help: `[STABLE] ${ERROR_HELP}`, type: 'gauge', samples: [{ value: v }] },
  ];
}

/** The body for a snapshot, or for a failed read when `s` is undefined. */
export function resourceMetrics(s: UsageSnapshot | undefined): string {
  if (!s) return render(errorFamilies(true));
  const at = s.time.getTime();
  const family = (name: string, type: Family['type'], help: string): Family => ({ name, type, help, samples: [] });
  const nodeCpu = family('node_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the node in core-seconds');
  const nodeMem = family('node_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the node in bytes');
  const cCpu = family('container_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the container in core-seconds');
  const cMem = family('container_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the container in bytes');
  const cStart = family('container_start_time_seconds', 'gauge', '[STABLE] Start time of the container since unix epoch in seconds');
  const pCpu = family('pod_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the pod in core-seconds');
  const pMem = family('pod_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the pod in bytes');

  nodeCpu.samples.push({ value: s.node.cpuSeconds, atMs: at });
  nodeMem.samples.push({ value: s.node.memoryBytes, atMs: at });
  for (const p of s.pods) {
    const pod = { namespace: p.namespace, pod: p.name };
    for (const c of p.containers) {
      const labels = { ...pod, container: c.name };
      cStart.samples.push({ labels, value: c.startTime.getTime() / 1000, atMs: c.startTime.getTime() });
      if (c.cpuSeconds !== undefined) cCpu.samples.push({ labels, value: c.cpuSeconds, atMs: at });
      if (c.memoryBytes !== undefined) cMem.samples.push({ labels, value: c.memoryBytes, atMs: at });
    }
    if (p.cpuSeconds !== undefined) pCpu.samples.push({ labels: pod, value: p.cpuSeconds, atMs: at });
    if (p.memoryBytes !== undefined) pMem.samples.push({ labels: pod, value: p.memoryBytes, atMs: at });
  }
  return render([nodeCpu, nodeMem, cCpu, cMem, cStart, pCpu, pMem, ...errorFamilies(false)]);
}
