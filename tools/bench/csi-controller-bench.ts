// csi-controller under load: 100 concurrent CreateVolume, then 100 concurrent DeleteVolume,
// over the controller's unix socket, against the RouterOS simulator with 20 ms latency per SSH
// command. Prints throughput, p50/p99 latency and errors (must be 0), then the figure lines
// (issue #24: twice the 33.5 creates/s measured when it was filed, with zero errors). Not part of `make test`.
//   npx tsx tools/bench/csi-controller-bench.ts [--count 100] [--latency-ms 20]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient, unary } from '@mikrotik-kube/grpc-kit';
import { contracts } from '@mikrotik-kube/proto';
import { startController, startSim, VOLUME_BASE } from '../../e2e/csi/support/stack';
import { atLeast, atMost, figure } from './figure';

const { values } = parseArgs({ options: { count: { type: 'string', default: '100' }, 'latency-ms': { type: 'string', default: '20' } } });
const count = Number(values.count);
const latencyMs = Number(values['latency-ms']);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

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
  return { errors: errors.length, rate: calls.length / secs };
}

const dir = mkdtempSync(join(tmpdir(), 'csi-bench-'));
const sim = await startSim({ latencyMs });
const controller = await startController(sim, { dir });
const client = createClient(contracts.csi().Controller, controller.endpoint, { maxAttempts: 1, deadlineMs: 300_000 });
let errors = 0;
const rates = { create: 0, delete: 0 };
try {
  console.log(`csi-controller bench: ${count} concurrent volumes, ${latencyMs} ms SSH command latency (simulator), one shared SSH connection`);
  const names = Array.from({ length: count }, (_, i) => `pvc-bench-${String(i).padStart(4, '0')}`);
  const cap = { access_mode: { mode: 'SINGLE_NODE_WRITER' as const }, mount: { fs_type: 'ext4', mount_flags: [] } };
  const created = await phase(
    'CreateVolume',
    names.map((name) => () => unary(client, 'CreateVolume', { name, capacity_range: { required_bytes: 2 ** 30 }, volume_capabilities: [cap], parameters: { volumePath: VOLUME_BASE } })),
  );
  errors += created.errors;
  rates.create = created.rate;
  const files = sim.volumeFiles().length;
  console.log(`  backing files on the simulated RDS: ${files}`);
  if (files !== count) errors++;
  const deleted = await phase('DeleteVolume', names.map((volume_id) => () => unary(client, 'DeleteVolume', { volume_id })));
  errors += deleted.errors;
  rates.delete = deleted.rate;
  console.log(`  backing files left: ${sim.volumeFiles().length}`);
  if (sim.volumeFiles().length) errors++;
} finally {
  client.close();
  await controller.stop();
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
}
figure('csi-controller', `CreateVolume throughput at ${latencyMs} ms`, rates.create, atLeast(67), '/s', 1);
figure('csi-controller', `DeleteVolume throughput at ${latencyMs} ms`, rates.delete, atLeast(67), '/s', 1);
figure('csi-controller', 'errors', errors, atMost(0), '', 0);
process.exit(errors ? 1 : 0);
