// ipam benchmark: allocations per second over gRPC against the simulated
// router (0 ms and 20 ms router latency; one replica, and three replicas
// sharing the router), and the restart sync time with 5,000 existing veths.
// There is no peer IPAM for RouterOS to run beside it, so it prints absolute
// figures. Run: node --import tsx tools/bench/ipam-bench.ts [--allocations N]
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient, unary } from '@mikrotik-kube/grpc-kit';
import { contracts } from '@mikrotik-kube/proto';
import { Simulator } from '@mikrotik-kube/routeros-sim';
import { type ProcessHandle, freePort, startTsProcess } from '@mikrotik-kube/test-support';
import { stringify } from 'yaml';

const { values } = parseArgs({
  options: {
    allocations: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '32' },
    existing: { type: 'string', default: '5000' },
  },
});
const ALLOCATIONS = Number(values.allocations);
const CONCURRENCY = Number(values.concurrency);
const EXISTING = Number(values.existing);

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
    args: ['--config', config, '--log.level', 'info', '--grpc.host', '127.0.0.1', '--grpc.port', String(grpcPort), '--http.host', '127.0.0.1', '--http.port', String(httpPort)],
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

async function throughput(latencyMs: number, replicas: number, separateUsers: boolean): Promise<string> {
  const users = Array.from({ length: replicas }, (_, i) => (separateUsers ? `ipam${i}` : 'ipam'));
  const { sim, rest } = await startSim([...new Set(users)]);
  const ipams = await Promise.all(users.map((u) => startIpam(rest, u)));
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
  return `allocate  latency=${String(latencyMs).padStart(2)} ms  ${who.padEnd(44)} ${rate.toFixed(1).padStart(7)} allocations/s  (${conflicts} lost claims)`;
}

async function restartSync(): Promise<string> {
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
  return `restart   ${EXISTING} existing veths: sync ${syncedMs} ms (3 GETs + planning), process start to ready ${readyMs} ms`;
}

try {
  console.log(`ipam-bench: ${ALLOCATIONS} allocations per run, ${CONCURRENCY} concurrent per replica, simulated RouterOS 7.21, state in ${dir}`);
  for (const latency of [0, 20]) {
    console.log(await throughput(latency, 1, false));
    console.log(await throughput(latency, 3, false));
    console.log(await throughput(latency, 3, true));
  }
  console.log(await restartSync());
} finally {
  for (const p of procs) await p.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
