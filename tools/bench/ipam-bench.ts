// ipam benchmark: allocations per second over gRPC against the simulated
// router (0 ms and 20 ms router latency; one replica, and three replicas
// sharing the router, each replica with its own --replica-identity as the
// chart gives it), and the restart sync time with 5,000 existing veths.
// There is no peer IPAM for RouterOS: the peer is ipam itself with one
// replica, run alternately with three in the same run (--rounds, best of each).
// The router serves one user's requests one at a time, so three replicas
// sharing a user can at best match one replica (the ceiling); with a user each
// they should scale.
// Run: node --import tsx tools/bench/ipam-bench.ts [--allocations N] [--rounds 2]
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient, unary } from '@mikrotik-kube/grpc-kit';
import { contracts } from '@mikrotik-kube/proto';
import { Simulator } from '@mikrotik-kube/routeros-sim';
import { type ProcessHandle, freePort, startTsProcess } from '@mikrotik-kube/test-support';
import { stringify } from 'yaml';
import { atLeast, atMost, figure } from './figure';

const { values } = parseArgs({
  options: {
    allocations: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '32' },
    existing: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '2' },
  },
});
const ALLOCATIONS = Number(values.allocations);
const CONCURRENCY = Number(values.concurrency);
const EXISTING = Number(values.existing);
const ROUNDS = Number(values.rounds);

const NETWORK = { name: 'pods', bridge: 'containers', cidr: '10.64.0.0/16', gateway: '10.64.0.1' };
// The simulator fsyncs its whole state after every change, like a router writing its config;
// on tmpfs that costs little, so the figures show ipam and the REST round trips, not the disk.
const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'ipam-bench-'));
const procs: ProcessHandle[] = [];

async function startSim(users: string[]): Promise<{ sim: Simulator; rest: string }> {
  const sim = new Simulator({ users: Object.fromEntries(users.map((u) => [u, 'pw'])), dataDir: mkdtempSync(join(dir, 'sim-')) });
  const { rest } = await sim.start();
  sim.state.menu('interface/bridge').add({ name: 'containers' });
  return { sim, rest };
}

interface Replica {
  proc: ProcessHandle;
  address: string;
  metricsUrl: string;
  syncedMs: number;
  readyMs: number;
}

async function startIpam(rest: string, user: string): Promise<Replica> {
  const config = join(dir, `ipam-${procs.length}.yaml`);
  writeFileSync(
    config,
    stringify({ log: { level: 'warn' }, routeros: { url: rest, user, password: 'pw', timeoutMs: 30_000 }, networks: [NETWORK] }),
  );
  const grpcPort = await freePort();
  const httpPort = await freePort();
  const started = Date.now();
  const proc = startTsProcess('apps/ipam/src/main.ts', {
    args: ['--config', config, '--replica-identity', `bench-ipam-${procs.length}`, '--log.level', 'info', '--grpc.host', '127.0.0.1', '--grpc.port', String(grpcPort), '--http.host', '127.0.0.1', '--http.port', String(httpPort)],
  });
  procs.push(proc);
  const synced = await proc.waitForLine(/synced from the router/, 120_000);
  await proc.waitForLine(/"message":"ready"/, 120_000);
  const readyMs = Date.now() - started;
  return {
    proc,
    address: `127.0.0.1:${grpcPort}`,
    metricsUrl: `http://127.0.0.1:${httpPort}/metrics`,
    syncedMs: (JSON.parse(synced) as { ms: number }).ms,
    readyMs,
  };
}

/** Allocations per second for `total` owners spread over the replicas, `CONCURRENCY` in flight per replica. */
async function allocate(addresses: string[], total: number, prefix: string): Promise<number> {
  const clients = addresses.map((a) => createClient(contracts.ipam().Ipam, a, { deadlineMs: 120_000 }));
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    clients.flatMap((client) =>
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < total; i = next++) await unary(client, 'Allocate', { owner: `${prefix}/pod-${i}`, network: '' });
      }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  for (const c of clients) c.close();
  return total / seconds;
}

interface Run {
  rate: number;
  conflicts: number;
}

async function throughput(latencyMs: number, replicas: number, separateUsers: boolean): Promise<Run> {
  const users = Array.from({ length: replicas }, (_, i) => (separateUsers ? `ipam${i}` : 'ipam'));
  const { sim, rest } = await startSim([...new Set(users)]);
  // One after another: ports chosen concurrently by freePort() could collide.
  const ipams: Replica[] = [];
  for (const u of users) ipams.push(await startIpam(rest, u));
  sim.context.faults.latencyMs = latencyMs;
  const rate = await allocate(
    ipams.map((i) => i.address),
    ALLOCATIONS,
    `bench-${latencyMs}-${replicas}`,
  );
  const vethCount = sim.state.menu('interface/veth').list().length;
  let conflicts = 0;
  for (const i of ipams) {
    const text = await (await fetch(i.metricsUrl)).text();
    conflicts += Number(/^mikrotik_kube_ipam_claim_conflicts_total\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
  }
  for (const i of ipams) await i.proc.stop();
  await sim.stop();
  if (vethCount !== ALLOCATIONS) throw new Error(`expected ${ALLOCATIONS} veths, router has ${vethCount}`);
  const who = replicas === 1 ? '1 replica' : `${replicas} replicas, ${separateUsers ? 'one RouterOS user each' : 'one shared RouterOS user'}`;
  console.log(`allocate  latency=${String(latencyMs).padStart(2)} ms  ${who.padEnd(44)} ${rate.toFixed(1).padStart(7)} allocations/s  (${conflicts} lost claims)`);
  return { rate, conflicts };
}

async function restartSync(): Promise<{ line: string; syncedMs: number }> {
  const { sim, rest } = await startSim(['ipam']);
  const veths = sim.state.menu('interface/veth');
  const ports = sim.state.menu('interface/bridge/port');
  for (let i = 0; i < EXISTING; i++) {
    const ip = 0x0a400000 + 2 + i;
    const name = `mk-${ip.toString(16).padStart(8, '0')}`;
    const address = [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
    const comment = `mikrotik-kube:ipam owner=bench%2Fexisting-${i} network=pods`;
    veths.add({ name, address: `${address}/16`, gateway: '10.64.0.1', comment });
    ports.add({ bridge: 'containers', interface: name, comment });
  }
  const { syncedMs, readyMs } = await startIpam(rest, 'ipam');
  for (const p of procs.splice(0)) await p.stop();
  await sim.stop();
  return { line: `restart   ${EXISTING} existing veths: sync ${syncedMs} ms (3 GETs + planning), process start to ready ${readyMs} ms`, syncedMs };
}

try {
  console.log(`ipam-bench: ${ALLOCATIONS} allocations per run, ${CONCURRENCY} concurrent per replica, simulated RouterOS 7.21, state in ${dir}`);
  await throughput(0, 1, false);
  await throughput(0, 3, true);
  // At 20 ms the three set-ups alternate; the best round of each counts.
  const runs = { one: [] as Run[], shared: [] as Run[], separate: [] as Run[] };
  for (let r = 0; r < ROUNDS; r++) {
    runs.one.push(await throughput(20, 1, false));
    runs.separate.push(await throughput(20, 3, true));
    runs.shared.push(await throughput(20, 3, false));
  }
  const sync = await restartSync();
  console.log(sync.line);
  const best = (rs: Run[]) => Math.max(...rs.map((x) => x.rate));
  const lostPct = (rs: Run[]) => (100 * Math.max(...rs.map((x) => x.conflicts))) / ALLOCATIONS;
  figure('ipam', '3 replicas (a user each) / 1 replica, allocations/s at 20 ms', best(runs.separate) / best(runs.one), atLeast(1.5), 'x');
  // The router serialises one user's requests: one replica already keeps that user busy.
  figure('ipam', '3 replicas (one user) / 1 replica, allocations/s at 20 ms', best(runs.shared) / best(runs.one), atLeast(0.9), 'x');
  figure('ipam', 'lost claims, 3 replicas (a user each), worst round', lostPct(runs.separate), atMost(5), '%', 1);
  figure('ipam', 'lost claims, 3 replicas (one user), worst round', lostPct(runs.shared), atMost(5), '%', 1);
  figure('ipam', `restart sync of ${EXISTING} veths`, sync.syncedMs / 1000, atMost(1), ' s');
} finally {
  for (const p of procs) await p.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
