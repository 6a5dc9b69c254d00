// Service start benchmark: for each service, from the bundles `make build` writes (what the image
// runs, not tsx), the time from spawning the process until its /readyz answers 200, and its idle
// RSS a few seconds later. The services run against the RouterOS simulator on loopback, wired as
// `make demo` wires them (vk-provider standalone, on an empty pods file; the all-in-one process
// in a second stack). Each service is stopped and started again once its dependencies run; a
// bare Node.js HTTP server answering /readyz (the runtime's own floor) is started right after it,
// alternating, in the same run. Goals (issue #24): ≤ 1 s to ready, ≤ 60 MB idle.
//   node --import tsx tools/bench/service-start-bench.ts [--rounds 2] [--idle-seconds 5]
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, startProcess, type ProcessHandle } from '@mikrotik-kube/test-support';
import { allInOneComponents, demoComponents } from '../demo/components';
import { type Stack, startStack } from '../demo/stack';
import { atMost, figure } from './figure';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' }, 'idle-seconds': { type: 'string', default: '5' } } });
const ROUNDS = Number(values.rounds);
const IDLE_MS = Number(values['idle-seconds']) * 1000;
const START_GOAL_S = 1;
const RSS_GOAL_MB = 60;

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  startS: number;
  rssMb: number;
}

/** Polls `url` every 5 ms from now until it answers 200; seconds since `t0`. */
async function readyAfter(url: string, t0: bigint, limitMs = 60_000): Promise<number> {
  for (const end = Date.now() + limitMs; Date.now() < end; await sleep(5)) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return Number(process.hrtime.bigint() - t0) / 1e9;
  }
  throw new Error(`${url} not ready after ${limitMs} ms`);
}

async function idleRss(proc: ProcessHandle): Promise<number> {
  await sleep(IDLE_MS);
  return rssMb(proc.pid);
}

/** One of our services, stopped and started again with the same arguments. */
async function ours(stack: Stack, name: string): Promise<Sample> {
  await stack.proc(name).stop('SIGTERM', 15_000);
  const t0 = process.hrtime.bigint();
  const restarted = stack.restart(name);
  const startS = await readyAfter(`http://127.0.0.1:${stack.ctx.ports[`${name}.http`]}/readyz`, t0);
  await restarted;
  return { startS, rssMb: await idleRss(stack.proc(name)) };
}

/** The floor: Node.js itself, one HTTP server answering /readyz. */
async function floor(): Promise<Sample> {
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const proc = startProcess(process.execPath, ['-e', `require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`]);
  try {
    const startS = await readyAfter(`http://127.0.0.1:${port}/readyz`, t0);
    return { startS, rssMb: await idleRss(proc) };
  } finally {
    await proc.stop();
  }
}

const empty = join(tmpdir(), `service-start-bench-${process.pid}.yaml`);
writeFileSync(empty, '');
const results = new Map<string, Sample[]>();
const floors: Sample[] = [];

async function measureStack(components: typeof demoComponents): Promise<void> {
  const stack = await startStack(components, { podsFile: empty, built: true });
  try {
    const names = stack.started.map((s) => s.name).filter((n) => n !== 'routeros-sim');
    for (let r = 0; r < ROUNDS; r++) {
      for (const name of names) {
        results.set(name, [...(results.get(name) ?? []), await ours(stack, name)]);
        floors.push(await floor());
      }
    }
  } finally {
    await stack.stop();
  }
}

try {
  await measureStack(demoComponents);
  await measureStack(allInOneComponents);
} finally {
  rmSync(empty, { force: true });
}

const best = (xs: Sample[]) => Math.min(...xs.map((x) => x.startS));
const most = (xs: Sample[]) => Math.max(...xs.map((x) => x.rssMb));
console.log(`service-start-bench: bundles from make build, node ${process.version}, ${ROUNDS} rounds, RSS after ${IDLE_MS / 1000} s idle; best start, highest RSS`);
console.table([
  ...[...results].map(([name, xs]) => ({ process: name, 'start to /readyz s': best(xs).toFixed(3), 'idle RSS MB': most(xs).toFixed(1) })),
  { process: 'floor: bare node HTTP server', 'start to /readyz s': best(floors).toFixed(3), 'idle RSS MB': most(floors).toFixed(1) },
]);
for (const [name, xs] of results) {
  figure('service-start', `${name} start to /readyz`, best(xs), atMost(START_GOAL_S), ' s');
  figure('service-start', `${name} idle RSS`, most(xs), atMost(RSS_GOAL_MB), ' MB', 1);
}
