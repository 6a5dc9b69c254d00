// vk-provider benchmark: 100 pods created in standalone mode against the
// simulator with 20 ms REST latency, through the real services (ipam,
// storage-converter, boot-supervisor). Prints the time from writing the pods
// file until every pod is Running and ready, and the router REST calls per pod
// (simulator stats; they include the supervisor's and the services' calls).
//   node --import tsx tools/bench/vk-bench.ts [--pods 100] [--latency-ms 20] [--concurrency 4]
// No peer runs here: the upstream Go provider cannot run without a real router.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { demoComponents } from '../demo/components';
import { allRunning, pods } from '../demo/showcase';
import { startStack } from '../demo/stack';
import { atMost, figure } from './figure';

const { values } = parseArgs({ options: { pods: { type: 'string', default: '100' }, 'latency-ms': { type: 'string', default: '20' }, concurrency: { type: 'string', default: '4' } } });
const count = Number(values.pods);
const latencyMs = Number(values['latency-ms']);

const empty = join(tmpdir(), `vk-bench-empty-${process.pid}.yaml`);
writeFileSync(empty, '');
const components = demoComponents.map((c) =>
  c.name === 'vk-provider' ? { ...c, args: (ctx: Parameters<typeof c.args>[0]) => [...c.args(ctx), '--reconcile.concurrency', values.concurrency] } : c,
);
const stack = await startStack(components, { podsFile: empty });
const admin = stack.ctx.urls['simAdmin'] as string;
const status = stack.ctx.urls['status'] as string;
const sim = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${admin}/${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return res.json() as Promise<{ total: number; byUser: Record<string, number>; byRoute: Record<string, number> }>;
};

try {
  await sim('PUT', 'faults', { latencyMs });
  const docs = Array.from({ length: count }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `bench-${i}`, namespace: 'bench', annotations: { 'mikrotik.io/boot-priority': String(i % 10) } },
    spec: { containers: [{ name: 'app', image: 'registry.local:5000/demo/app:1', env: [{ name: 'INDEX', value: String(i) }] }] },
  }));
  await sim('POST', 'stats/reset', {});
  const started = Date.now();
  writeFileSync(stack.ctx.urls['podsFile'] as string, docs.map((d) => stringify(d)).join('---\n'));
  let firstRunningMs = 0;
  for (;;) {
    const list = await pods(status);
    if (!firstRunningMs && list.some((p) => p.status?.phase === 'Running')) firstRunningMs = Date.now() - started;
    if (list.length === count && allRunning(list)) break;
    if (Date.now() - started > 600_000) throw new Error(`not all Running after 600 s (${list.filter((p) => p.status?.phase === 'Running').length}/${count})`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const ms = Date.now() - started;
  const stats = await sim('GET', 'stats');
  const byRoute = Object.entries(stats.byRoute)
    .sort((a, b) => b[1] - a[1])
    .map(([route, n]) => `${route}=${(n / count).toFixed(2)}`)
    .join(' ');
  // RouterOS serves one user's REST requests one at a time and different users in parallel.
  const concurrency = Math.max(1, Object.keys(stats.byUser).length);
  const floorMs = (stats.total * latencyMs) / concurrency;
  console.log(`vk-bench: ${count} pods, ${latencyMs} ms router latency, concurrency ${values.concurrency}`);
  console.log(`vk-bench: all Running+ready after ${(ms / 1000).toFixed(1)} s (first Running after ${(firstRunningMs / 1000).toFixed(1)} s), ${(ms / count).toFixed(0)} ms/pod`);
  console.log(`vk-bench: REST calls ${stats.total} total, ${(stats.total / count).toFixed(1)} per pod (all clients; by user ${JSON.stringify(stats.byUser)})`);
  console.log(`vk-bench: per pod by route: ${byRoute}`);
  console.log(`vk-bench: floor ${(floorMs / 1000).toFixed(1)} s = ${stats.total} calls x ${latencyMs} ms / ${concurrency} router user(s) served in parallel`);
  figure('vk', 'REST calls per pod', stats.total / count, atMost(6));
  figure('vk', 'time to Running+ready / floor', ms / floorMs, atMost(2), 'x');
} finally {
  await stack.stop();
}
