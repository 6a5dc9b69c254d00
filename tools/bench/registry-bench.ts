// Registry benchmark (run by hand, not in `make test`):
//   node --import tsx tools/bench/registry-bench.ts [--size-mb 256] [--layers 4]
// Builds a gzip image of the given size in an OCI layout, then pushes it with
// skopeo to our registry and to Debian's docker-registry and pulls it back from
// each, in the same run. Prints throughput per side, the ours/theirs ratio, and
// both processes' peak resident memory (VmHWM).
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { DigestingStream, MediaType, OciLayoutWriter, type Descriptor } from '@mikrotik-kube/oci';
import { skopeo, startDockerRegistry, startRegistry, tempDir, type RunningRegistry } from '../../apps/registry/test/helpers';
import { atLeast, atMost, figure } from './figure';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function vmHwmMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024;
}

/** A layer of incompressible bytes, as a gzip'ed tar streamed straight into the layout. */
async function randomLayer(w: OciLayoutWriter, bytes: number, i: number): Promise<{ layer: Descriptor; diffId: string }> {
  const pack = tar.pack();
  const diff = new DigestingStream();
  const gz = createGzip({ level: 1 });
  const written = w.addBlobStream(MediaType.ociLayerGzip, pack.pipe(diff).pipe(gz));
  const entry = pack.entry({ name: `data/layer${i}.bin`, size: bytes, mtime: new Date(0) });
  let left = bytes;
  await pipeline(
    Readable.from(
      (function* () {
        while (left > 0) {
          const n = Math.min(left, 1 << 20);
          left -= n;
          yield randomBytes(n);
        }
      })(),
    ),
    entry,
  );
  pack.finalize();
  const layer = await written;
  return { layer, diffId: diff.digest };
}

async function buildBigImage(totalMb: number, layerCount: number): Promise<string> {
  const dir = tempDir('bench-layout');
  const w = new OciLayoutWriter(dir);
  await w.init();
  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < layerCount; i++) {
    const { layer, diffId } = await randomLayer(w, Math.floor((totalMb * 1024 * 1024) / layerCount), i);
    layers.push(layer);
    diffIds.push(diffId);
  }
  const config = await w.addJson(MediaType.ociConfig, { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } });
  const manifest = await w.addJson(MediaType.ociManifest, { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers });
  await w.tag(manifest, 'bench');
  return dir;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

interface Side {
  name: string;
  reg: RunningRegistry;
  push: number;
  pull: number;
  /** VmHWM before any image moved: the process's own baseline (Node + tsx for us). */
  idleMb: number;
}

async function main(): Promise<void> {
  const sizeMb = flag('size-mb', 256);
  const layerCount = flag('layers', 4);
  process.stdout.write(`building a ${sizeMb} MB image in ${layerCount} layers...\n`);
  const layout = await buildBigImage(sizeMb, layerCount);
  const sides: Side[] = [
    { name: 'ours (apps/registry)', reg: await startRegistry(), push: 0, pull: 0, idleMb: 0 },
    { name: 'docker-registry 2.8', reg: await startDockerRegistry(), push: 0, pull: 0, idleMb: 0 },
  ];
  for (const s of sides) s.idleMb = vmHwmMb(s.reg.proc.pid);
  const cleanup: string[] = [layout];
  try {
    for (const s of sides) {
      s.push = await timed(() => skopeo('copy', `oci:${layout}:bench`, `docker://${s.reg.host}/bench/big:1`, '--dest-tls-verify=false'));
    }
    for (const s of sides) {
      const out = tempDir('bench-pull');
      cleanup.push(out);
      s.pull = await timed(() => skopeo('copy', `docker://${s.reg.host}/bench/big:1`, `oci:${out}:bench`, '--src-tls-verify=false'));
    }
    const [ours, theirs] = sides as [Side, Side];
    const rows = sides.map((s) => ({
      registry: s.name,
      'push MB/s': (sizeMb / s.push).toFixed(1),
      'pull MB/s': (sizeMb / s.pull).toFixed(1),
      'push s': s.push.toFixed(2),
      'pull s': s.pull.toFixed(2),
      'RSS at start MB': s.idleMb.toFixed(0),
      'peak RSS MB (VmHWM)': vmHwmMb(s.reg.proc.pid).toFixed(0),
    }));
    console.table(rows);
    process.stdout.write(
      `throughput ratio ours/docker-registry: push ${(theirs.push / ours.push).toFixed(2)}, pull ${(theirs.pull / ours.pull).toFixed(2)} (>1 = we are faster)\n` +
        `our peak memory: ${vmHwmMb(ours.reg.proc.pid).toFixed(0)} MB for a ${sizeMb} MB image\n`,
    );
    figure('registry', 'push throughput ours/docker-registry', theirs.push / ours.push, atLeast(1), 'x');
    figure('registry', 'pull throughput ours/docker-registry', theirs.pull / ours.pull, atLeast(1), 'x');
    figure('registry', 'peak RSS ours/docker-registry', vmHwmMb(ours.reg.proc.pid) / vmHwmMb(theirs.reg.proc.pid), atMost(2), 'x');
  } finally {
    for (const s of sides) await s.reg.stop();
    for (const d of [...cleanup, ...sides.map((s) => s.reg.storageDir)]) rmSync(d, { recursive: true, force: true });
  }
}

await main();
