// Test images built here (no internet): real tar layers compressed with gzip (zlib), zstd
// (the zstd CLI) or not at all, configs with matching diff ids, single manifests and
// multi-platform indexes, pushed to a registry with the libs/oci client.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { MediaType, RegistryClient, digestOf, type Descriptor } from '@mikrotik-kube/oci';

export type LayerCompression = 'gzip' | 'zstd' | 'none';

export interface PlatformSpec {
  architecture: string;
  variant?: string;
}

export async function tarOf(files: Record<string, Buffer | string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o644, mtime: new Date(0) }, Buffer.from(content));
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export function zstd(data: Buffer): Buffer {
  const r = spawnSync('zstd', ['-q', '-c', '-3'], { input: data, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr.toString()}`);
  return r.stdout;
}

const LAYER_TYPE: Record<LayerCompression, string> = { gzip: MediaType.ociLayerGzip, zstd: MediaType.ociLayerZstd, none: MediaType.ociLayerTar };

function compress(c: LayerCompression, tarBytes: Buffer): Buffer {
  return c === 'gzip' ? gzipSync(tarBytes) : c === 'zstd' ? zstd(tarBytes) : tarBytes;
}

async function pushBytes(client: RegistryClient, repo: string, mediaType: string, bytes: Buffer): Promise<Descriptor> {
  const digest = digestOf(bytes);
  await client.pushBlob(repo, digest, bytes.length, bytes);
  return { mediaType, digest, size: bytes.length };
}

export interface PushedImage {
  /** Digest of what the tag points at (index or manifest). */
  digest: string;
  /** Per platform (`arch` or `arch/variant`): manifest digest and layer digests. */
  platforms: Record<string, { manifest: string; layers: string[]; diffIds: string[] }>;
}

/** Pushes one image per platform (an index when more than one, or when `index`). */
export async function pushImage(
  client: RegistryClient,
  repo: string,
  tag: string,
  o: { platforms: PlatformSpec[]; layers?: LayerCompression[]; index?: boolean; layerBytes?: number; truncateLayers?: boolean },
): Promise<PushedImage> {
  const kinds = o.layers ?? ['gzip', 'zstd', 'none'];
  const platforms: PushedImage['platforms'] = {};
  const descs: Descriptor[] = [];
  for (const p of o.platforms) {
    const key = p.variant ? `${p.architecture}/${p.variant}` : p.architecture;
    const layers: Descriptor[] = [];
    const diffIds: string[] = [];
    for (const [i, kind] of kinds.entries()) {
      const t = await tarOf({ [`etc/layer${i}.txt`]: `${repo}:${tag} ${key} layer ${i} (${kind})\n`, [`data/blob${i}.bin`]: randomBytes(o.layerBytes ?? 4096) });
      diffIds.push(digestOf(t));
      const bytes = compress(kind, t);
      // A blob whose digest is right but whose compressed stream ends early: only decompression can tell.
      layers.push(await pushBytes(client, repo, LAYER_TYPE[kind], o.truncateLayers ? bytes.subarray(0, bytes.length >> 1) : bytes));
    }
    const config = Buffer.from(
      JSON.stringify({ architecture: p.architecture, ...(p.variant ? { variant: p.variant } : {}), os: 'linux', config: { Cmd: ['/bin/app'], Env: ['A=1'] }, rootfs: { type: 'layers', diff_ids: diffIds } }),
    );
    const configDesc = await pushBytes(client, repo, MediaType.ociConfig, config);
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: configDesc, layers }));
    const digest = digestOf(manifest);
    const single = o.platforms.length === 1 && !o.index;
    await client.pushManifest(repo, single ? tag : digest, manifest, MediaType.ociManifest);
    platforms[key] = { manifest: digest, layers: layers.map((l) => l.digest), diffIds };
    descs.push({ mediaType: MediaType.ociManifest, digest, size: manifest.length, platform: { architecture: p.architecture, os: 'linux', ...(p.variant ? { variant: p.variant } : {}) } });
  }
  if (o.platforms.length === 1 && !o.index) return { digest: descs[0]?.digest ?? '', platforms };
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: descs }));
  await client.pushManifest(repo, tag, index, MediaType.ociIndex);
  return { digest: digestOf(index), platforms };
}
