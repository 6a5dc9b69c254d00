// storage-converter benchmark (run by hand, not in `make test`):
//   node --import tsx tools/bench/storage-converter-bench.ts [--size-mb 256] [--layers 4] [--rounds 2]
// Pushes a gzip image of the given uncompressed size to our registry, then converts it to a
// docker-archive with uncompressed layers twice per round: with our convert CLI and with
// `skopeo copy --dest-decompress … docker-archive:`, alternating, in the same run. Prints
// the best time of each, the ratio and both peak memories (VmHWM, polled from
// /proc/<pid>/status while each process runs), and checks our output with skopeo.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { DigestingStream, MediaType, OciLayoutWriter, type Descriptor } from '@mikrotik-kube/oci';
import { repoRoot } from '@mikrotik-kube/test-support';
import { skopeo, startRegistry, tempDir } from '../../apps/registry/test/helpers';
import { atMost, figure } from './figure';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Layer content like real images: half incompressible, half text (gzip has work both ways). */
function* content(bytes: number): Generator<Buffer> {
  const text = Buffer.from('usr/lib/python3/dist-packages/some/module.py: def handler(request): return 42\n'.repeat(1 << 10));
  let left = bytes;
  for (let i = 0; left > 0; i++) {
    const chunk = i % 2 ? randomBytes(Math.min(left, 1 << 20)) : text.subarray(0, Math.min(left, text.length, 1 << 20));
    left -= chunk.length;
    yield chunk;
  }
}

async function buildImage(totalMb: number, layerCount: number): Promise<string> {
  const dir = tempDir('conv-bench-layout');
  const w = new OciLayoutWriter(dir);
  await w.init();
  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < layerCount; i++) {
    const size = Math.floor((totalMb * 1024 * 1024) / layerCount);
    const pack = tar.pack();
    const diff = new DigestingStream();
    const written = w.addBlobStream(MediaType.ociLayerGzip, pack.pipe(diff).pipe(createGzip({ level: 6 })));
    await pipeline(Readable.from(content(size)), pack.entry({ name: `opt/data/layer${i}.bin`, size, mtime: new Date(0) }));
    pack.finalize();
    layers.push(await written);
    diffIds.push(diff.digest);
  }
  const config = await w.addJson(MediaType.ociConfig, { architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: diffIds } });
  const manifest = await w.addJson(MediaType.ociManifest, { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers });
  await w.tag(manifest, 'bench');
  return dir;
}

interface Run {
  seconds: number;
  peakMb: number;
}

/** Runs a command, polling its VmHWM until it exits; throws on failure. */
async function measure(cmd: string, args: string[]): Promise<Run> {
  const start = process.hrtime.bigint();
  const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let peakKb = 0;
  const poll = setInterval(() => {
    try {
      const line = readFileSync(`/proc/${child.pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
      peakKb = Math.max(peakKb, Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0));
    } catch {
      // exited between polls
    }
  }, 20);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(poll);
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${code}): ${stderr.slice(-2000)}`);
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, peakMb: peakKb / 1024 };
}

async function main(): Promise<void> {
  const sizeMb = flag('size-mb', 256);
  const layerCount = flag('layers', 4);
  const rounds = flag('rounds', 2);
  process.stdout.write(`building a ${sizeMb} MB image (${layerCount} gzip layers)...\n`);
  const layout = await buildImage(sizeMb, layerCount);
  const reg = await startRegistry();
  const out = tempDir('conv-bench-out');
  try {
    await skopeo('copy', `oci:${layout}:bench`, `docker://${reg.host}/bench/big:1`, '--dest-tls-verify=false');
    const ref = `${reg.host}/bench/big:1`;
    const ours: Run[] = [];
    const theirs: Run[] = [];
    const oursOut = join(out, 'ours.tar');
    const theirsOut = join(out, 'skopeo.tar');
    const baseline = await measure(process.execPath, ['--import', 'tsx', 'apps/storage-converter/src/cli.ts', '--help']);
    for (let r = 0; r < rounds; r++) {
      rmSync(theirsOut, { force: true });
      theirs.push(await measure('skopeo', ['copy', '--src-tls-verify=false', '--dest-decompress', `docker://${ref}`, `docker-archive:${theirsOut}:bench/big:1`]));
      rmSync(oursOut, { force: true });
      ours.push(await measure(process.execPath, ['--import', 'tsx', 'apps/storage-converter/src/cli.ts', ref, '--arch', 'x86', '-o', oursOut]));
    }
    const inspect = JSON.parse(await skopeo('inspect', `docker-archive:${oursOut}`)) as { Architecture: string; Layers: string[] };
    if (inspect.Architecture !== 'amd64' || inspect.Layers.length !== layerCount) throw new Error(`our archive is wrong: ${JSON.stringify(inspect)}`);
    const best = (rs: Run[]) => rs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const peak = (rs: Run[]) => Math.max(...rs.map((r) => r.peakMb));
    const o = best(ours);
    const t = best(theirs);
    console.table([
      { converter: 'ours (convert CLI, node+tsx)', 'best s': o.seconds.toFixed(2), 'MB/s': (sizeMb / o.seconds).toFixed(1), 'peak RSS MB (VmHWM)': peak(ours).toFixed(0), 'archive MB': (statSync(oursOut).size / 1048576).toFixed(1) },
      { converter: 'skopeo copy --dest-decompress', 'best s': t.seconds.toFixed(2), 'MB/s': (sizeMb / t.seconds).toFixed(1), 'peak RSS MB (VmHWM)': peak(theirs).toFixed(0), 'archive MB': (statSync(theirsOut).size / 1048576).toFixed(1) },
    ]);
    process.stdout.write(
      `time ratio ours/skopeo: ${(o.seconds / t.seconds).toFixed(2)} (<1 = we are faster); runs: ours ${ours.map((r) => r.seconds.toFixed(2)).join(', ')} s, skopeo ${theirs.map((r) => r.seconds.toFixed(2)).join(', ')} s\n` +
        `our process start (node+tsx, --help) takes ${baseline.seconds.toFixed(2)} s of that\n` +
        `peak memory: ours ${peak(ours).toFixed(0)} MB (node+tsx baseline ${baseline.peakMb.toFixed(0)} MB), skopeo ${peak(theirs).toFixed(0)} MB, for a ${sizeMb} MB image\n`,
    );
    figure('storage-converter', 'time ours/skopeo', o.seconds / t.seconds, atMost(1), 'x');
    figure('storage-converter', `peak RSS ours, ${sizeMb} MB image`, peak(ours), atMost(80), ' MB', 0);
  } finally {
    await reg.stop();
    for (const d of [layout, out, reg.storageDir]) rmSync(d, { recursive: true, force: true });
  }
}

await main();
