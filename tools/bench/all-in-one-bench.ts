// all-in-one benchmark: idle memory of mikrotik-kube as one process (apps/mikrotik-kube: registry,
// ipam, storage-converter, boot-supervisor and vk-provider in standalone mode) against the same
// services as five processes (microservices mode), each managing the same pods against the
// simulator, from the bundles `make build` writes (what the image runs). Prints each RSS, the
// ratio and the budget (≤ 150 MB for the all-in-one process with 10 pods, issue #21) as figure lines.
//   node --import tsx tools/bench/all-in-one-bench.ts [--pods 10] [--idle-seconds 15]
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { allInOneComponents, demoComponents, type DemoComponent } from '../demo/components';
import { allRunning, pods } from '../demo/showcase';
import { startStack } from '../demo/stack';
import { atMost, figure } from './figure';

const { values } = parseArgs({ options: { pods: { type: 'string', default: '10' }, 'idle-seconds': { type: 'string', default: '15' } } });
const count = Number(values.pods);
const idleMs = Number(values['idle-seconds']) * 1000;
const BUDGET_MB = 150;

const podsFile = join(tmpdir(), `all-in-one-bench-${process.pid}.yaml`);
writeFileSync(
  podsFile,
  Array.from({ length: count }, (_, i) =>
    stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `bench-${i}`, namespace: 'bench', annotations: { 'mikrotik.io/boot-priority': String(i), ...(i ? { 'mikrotik.io/depends-on': `bench-${i - 1}` } : {}) } },
      spec: { restartPolicy: 'Always', containers: [{ name: 'app', image: 'registry.local:5000/demo/app:1', env: [{ name: 'INDEX', value: String(i) }] }] },
    }),
  ).join('---\n'),
);

const rssMb = (pid: number): number => {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Starts the system, waits until the pods run, idles, then samples every service's RSS once a second for 5 s. */
async function measure(components: DemoComponent[]): Promise<Map<string, number>> {
  const stack = await startStack(components, { podsFile, built: true });
  try {
    const status = stack.ctx.urls['status'] as string;
    const started = Date.now();
    for (;;) {
      const list = await pods(status).catch(() => []);
      if (list.length === count && allRunning(list)) break;
      if (Date.now() - started > 300_000) throw new Error(`pods not all Running after 300 s`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await new Promise((r) => setTimeout(r, idleMs));
    const services = stack.started.filter((s) => s.name !== 'routeros-sim');
    const samples = new Map<string, number[]>(services.map((s) => [s.name, []]));
    for (let i = 0; i < 5; i++) {
      for (const s of services) samples.get(s.name)?.push(rssMb(s.proc.pid));
      await new Promise((r) => setTimeout(r, 1000));
    }
    return new Map([...samples].map(([name, xs]) => [name, median(xs)]));
  } finally {
    await stack.stop();
  }
}

const separate = await measure(demoComponents);
const together = await measure(allInOneComponents);
const sum = [...separate.values()].reduce((a, b) => a + b, 0);
const aio = together.get('mikrotik-kube') as number;
const fmt = (mb: number) => `${mb.toFixed(1)} MB`;
console.log(`all-in-one-bench: ${count} pods managed, idle ${idleMs / 1000} s, RSS medians of 5 samples (node ${process.version})`);
console.log(`all-in-one-bench: separate services: ${[...separate].map(([n, mb]) => `${n} ${fmt(mb)}`).join(', ')}; sum ${fmt(sum)}`);
console.log(`all-in-one-bench: all-in-one process: ${fmt(aio)} (${(aio / sum).toFixed(2)}x the sum, ${fmt(sum - aio)} saved)`);
figure('all-in-one', `idle RSS of the all-in-one process, ${count} pods`, aio, atMost(BUDGET_MB), ' MB', 1);
figure('all-in-one', 'all-in-one RSS / sum of the separate services', aio / sum, atMost(1), 'x');
