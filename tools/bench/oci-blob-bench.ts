// Blob download benchmark for libs/oci (run by hand or by `make bench`):
//   node --import tsx tools/bench/oci-blob-bench.ts [--size-mb 200] [--rounds 3]
// Pushes one random layer to Debian's docker-registry, then downloads it to a file,
// alternating in the same run: with RegistryClient.getBlob → VerifyingStream → file
// (what the storage converter and the pull-through cache do), with `curl -o` (raw
// transport, no digest check) and with `skopeo copy … dir:` (verifies digests too).
// Ours runs in this process; the peers are processes, so their times include a start
// (a few ms for curl, ~0.1 s for skopeo). Prints best MB/s of each and the ratios.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { MediaType, RegistryClient, VerifyingStream, digestOf, parseDigest } from '@mikrotik-kube/oci';
import { startDockerRegistry, tempDir } from '../../apps/registry/test/helpers';
import { atLeast, figure } from './figure';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function run(cmd: string, args: string[]): Promise<void> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${code}): ${stderr.slice(-2000)}`);
}

async function seconds(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function main(): Promise<void> {
  const sizeMb = flag('size-mb', 200);
  const rounds = flag('rounds', 3);
  const reg = await startDockerRegistry();
  const out = tempDir('oci-blob-bench');
  try {
    const client = new RegistryClient({ baseUrl: reg.url });
    const layer = randomBytes(sizeMb * 1024 * 1024);
    const digest = digestOf(layer);
    await client.pushBlob('bench/blob', digest, layer.length, layer);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [digest] } }));
    await client.pushBlob('bench/blob', digestOf(config), config.length, config);
    const manifest = { schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: MediaType.ociConfig, digest: digestOf(config), size: config.length }, layers: [{ mediaType: MediaType.ociLayerTar, digest, size: layer.length }] };
    await client.pushManifest('bench/blob', '1', Buffer.from(JSON.stringify(manifest)), MediaType.ociManifest);

    const file = join(out, 'blob');
    const sides = {
      ours: async () => {
        const blob = await client.getBlob('bench/blob', digest);
        await pipeline(blob.stream, new VerifyingStream(parseDigest(digest), layer.length), createWriteStream(file, { highWaterMark: 1 << 20 }));
      },
      curl: () => run('curl', ['-sSf', '-o', file, `${reg.url}/v2/bench/blob/blobs/${digest}`]),
      skopeo: () => run('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${reg.host}/bench/blob:1`, `dir:${join(out, 'dir')}`]),
    };
    const times: Record<keyof typeof sides, number[]> = { ours: [], curl: [], skopeo: [] };
    for (let r = 0; r < rounds; r++) {
      for (const name of Object.keys(sides) as Array<keyof typeof sides>) {
        rmSync(file, { force: true });
        rmSync(join(out, 'dir'), { recursive: true, force: true });
        times[name].push(await seconds(sides[name]));
        const got = name === 'skopeo' ? join(out, 'dir', digest.slice(7)) : file;
        if (statSync(got).size !== layer.length) throw new Error(`${name} wrote ${statSync(got).size} bytes`);
        if (name === 'ours' && digestOf(readFileSync(file)) !== digest) throw new Error('our file has the wrong digest');
      }
    }
    const best = (ts: number[]) => Math.min(...ts);
    const rate = (ts: number[]) => sizeMb / best(ts);
    console.table(
      (Object.keys(times) as Array<keyof typeof times>).map((name) => ({
        side: { ours: 'RegistryClient.getBlob → VerifyingStream → file', curl: 'curl -o file', skopeo: 'skopeo copy docker:// dir:' }[name],
        'best s': best(times[name]).toFixed(2),
        'MB/s': rate(times[name]).toFixed(0),
        runs: times[name].map((t) => t.toFixed(2)).join(' '),
      })),
    );
    process.stdout.write(
      `${sizeMb} MB blob from docker-registry on loopback: ours ${rate(times.ours).toFixed(0)} MB/s; ` +
        `ours/curl ${(rate(times.ours) / rate(times.curl)).toFixed(2)}, ours/skopeo ${(rate(times.ours) / rate(times.skopeo)).toFixed(2)} (throughput ratios, >1 = we are faster)\n`,
    );
    // curl verifies nothing: the goal leaves room for our digest check; skopeo verifies too.
    figure('oci-blob', 'throughput ours/curl', rate(times.ours) / rate(times.curl), atLeast(0.8), 'x');
    figure('oci-blob', 'throughput ours/skopeo', rate(times.ours) / rate(times.skopeo), atLeast(1), 'x');
  } finally {
    await reg.stop();
    rmSync(out, { recursive: true, force: true });
    rmSync(reg.storageDir, { recursive: true, force: true });
  }
}

await main();
