// csi-controller under load: 100 concurrent CreateVolume, then 100 concurrent DeleteVolume,
// over the controller's unix socket, against the RouterOS simulator with 20 ms latency per SSH
// command. Prints throughput, p50/p99 latency, errors (must be 0) and the SSH round trips per
// call (the controller's command counter, by verb), then the figure lines of issue #24: twice the
// 33.5 creates/s measured when it was filed, zero errors, at most 3 round trips per create; the
// floor is round trips x latency per call. Not part of `make test`.
//   npx tsx tools/bench/csi-controller-bench.ts [--count 100] [--latency-ms 20] [--connections N] [--max-channels N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient, unary } from '@mikrotik-kube/grpc-kit';
import { contracts } from '@mikrotik-kube/proto';
import { startController, startSim, VOLUME_BASE } from '../../e2e/csi/support/stack';
import { atLeast, atMost, figure } from './figure';

const { values } = parseArgs({
  options: { count: { type: 'string', default: '100' }, 'latency-ms': { type: 'string', default: '20' }, connections: { type: 'string' }, 'max-channels': { type: 'string' } },
});
const count = Number(values.count);
const latencyMs = Number(values['latency-ms']);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

/** SSH commands the controller sent so far, by verb (its mikrotik_kube_rds_commands_total). */
async function commands(opsUrl: string): Promise<Map<string, number>> {
  const by = new Map<string, number>();
  for (const line of (await (await fetch(`${opsUrl}/metrics`)).text()).split('\n')) {
    const m = /^mikrotik_kube_rds_commands_total\{(.*)\} (\S+)$/.exec(line);
    const verb = m && /verb="([^"]*)"/.exec(m[1] as string)?.[1];
    if (m && verb) by.set(verb, (by.get(verb) ?? 0) + Number(m[2]));
  }
  return by;
}

/** Runs the calls at once, with the SSH round trips they cost. */
async function measured(name: string, calls: Array<() => Promise<unknown>>) {
  const before = await commands(controller.opsUrl);
  const r = await phase(name, calls);
  const after = await commands(controller.opsUrl);
  let total = 0;
  const parts: string[] = [];
  for (const [verb, n] of after) {
    const d = n - (before.get(verb) ?? 0);
    if (d) parts.push(`${verb}=${(d / calls.length).toFixed(2)}`);
    total += d;
  }
  const perCall = total / calls.length;
  console.log(`  SSH round trips per call ${perCall.toFixed(2)} (${parts.join(' ')}); floor ${(perCall * latencyMs).toFixed(0)} ms per call`);
  return { ...r, perCall };
}

async function phase(name: string, calls: Array<() => Promise<unknown>>) {
  const lat: number[] = [];
  const errors: string[] = [];
  const t0 = performance.now();
  await Promise.all(
    calls.map(async (c) => {
      const s = performance.now();
      try {
        await c();
      } catch (e) {
        errors.push((e as Error).message);
      }
      lat.push(performance.now() - s);
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `${name.padEnd(14)} n=${calls.length} wall=${secs.toFixed(2)}s throughput=${(calls.length / secs).toFixed(1)}/s p50=${pct(lat, 50).toFixed(0)}ms p99=${pct(lat, 99).toFixed(0)}ms errors=${errors.length}`,
  );
  if (errors.length) console.log(`  first error: ${errors[0]}`);
  return { errors: errors.length, rate: calls.length / secs, p50: pct(lat, 50) };
}

const dir = mkdtempSync(join(tmpdir(), 'csi-bench-'));
const sim = await startSim({ latencyMs });
const args = [...(values.connections ? ['--rds.connections', values.connections] : []), ...(values['max-channels'] ? ['--rds.max-channels', values['max-channels']] : [])];
const controller = await startController(sim, { dir, args });
const client = createClient(contracts.csi().Controller, controller.endpoint, { maxAttempts: 1, deadlineMs: 300_000 });
let errors = 0;
let create = { rate: 0, p50: 0, perCall: Infinity };
try {
  console.log(`csi-controller bench: ${count} concurrent volumes, ${latencyMs} ms SSH command latency (simulator); controller args: ${args.join(' ') || 'defaults'}`);
  const cap = { access_mode: { mode: 'SINGLE_NODE_WRITER' as const }, mount: { fs_type: 'ext4', mount_flags: [] } };
  // Warm-up: what a running controller has done once already (read the RouterOS version, opened
  // its SSH connections: calls at once spread over them) stays out of the figures.
  await Promise.all(Array.from({ length: 16 }, () => unary(client, 'GetCapacity', { volume_capabilities: [cap], parameters: { volumePath: VOLUME_BASE } })));
  const warm = { name: 'pvc-bench-warm-up', capacity_range: { required_bytes: 2 ** 30 }, volume_capabilities: [cap], parameters: { volumePath: VOLUME_BASE } };
  const { volume } = await unary(client, 'CreateVolume', warm);
  await unary(client, 'DeleteVolume', { volume_id: volume?.volume_id ?? '' });
  const names = Array.from({ length: count }, (_, i) => `pvc-bench-${String(i).padStart(4, '0')}`);
  const created = await measured(
    'CreateVolume',
    names.map((name) => () => unary(client, 'CreateVolume', { name, capacity_range: { required_bytes: 2 ** 30 }, volume_capabilities: [cap], parameters: { volumePath: VOLUME_BASE } })),
  );
  errors += created.errors;
  create = created;
  const files = sim.volumeFiles().length;
  console.log(`  backing files on the simulated RDS: ${files}`);
  if (files !== count) errors++;
  errors += (await measured('DeleteVolume', names.map((volume_id) => () => unary(client, 'DeleteVolume', { volume_id })))).errors;
  console.log(`  backing files left: ${sim.volumeFiles().length}`);
  if (sim.volumeFiles().length) errors++;
} finally {
  client.close();
  await controller.stop();
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
}
figure('csi-controller', `CreateVolume throughput at ${latencyMs} ms`, create.rate, atLeast(67), '/s', 1);
figure('csi-controller', 'SSH round trips per create (mean)', create.perCall, atMost(3));
figure('csi-controller', 'errors', errors, atMost(0), '', 0);
process.exit(errors ? 1 : 0);
