// Pull + convert: fetches the config and every layer of a resolved image from our registry,
// checks each blob against its digest (and each uncompressed layer against the config's
// diff id), decompresses layers to temp files and packs the docker-save archive from them.
// Nothing is held in memory beyond stream buffers; temp files go whatever happens.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DigestError, DigestingStream, VerifyingStream, parseDigest } from '@mikrotik-kube/oci';
import { asLayerError, compressionOf, decompressor } from './decompress';
import { writeDockerArchive } from './docker-archive';
import { StorageError, invalid } from './errors';
import { registryFailure, type ImageSource, type ResolvedImage } from './image-source';
import { checkConfigPlatform, type RouterArch } from './platform';

export interface Progress {
  phase: 'resolve' | 'pull' | 'convert' | 'deliver';
  bytesDone: number;
  bytesTotal: number;
  message: string;
}

export type ProgressFn = (p: Progress) => void;

export interface ConvertResult {
  configDigest: string;
  size: number;
}

const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
const PULL_CONCURRENCY = 3;

interface ImageConfigDoc {
  architecture?: string;
  os?: string;
  variant?: string;
  rootfs?: { type?: string; diff_ids?: unknown };
}

export class Converter {
  constructor(
    private readonly source: ImageSource,
    private readonly armVariants: readonly string[],
    /** Where temp layer files go (same file system as the cache keeps renames cheap). */
    private readonly workDir: string,
  ) {}

  /** Converts `img` into a docker-save archive at `dest`. */
  async convert(img: ResolvedImage, arch: RouterArch, dest: string, progress: ProgressFn = () => undefined): Promise<ConvertResult> {
    const what = `image ${img.image}`;
    const m = img.manifest;
    const configBytes = await this.fetchConfig(img);
    let config: ImageConfigDoc;
    try {
      config = JSON.parse(configBytes.toString('utf8')) as ImageConfigDoc;
    } catch {
      throw invalid(`${what}: config ${m.config.digest} is not JSON`);
    }
    // A single-platform image (no index) must still be for the router's platform.
    checkConfigPlatform(img.image, config, arch, this.armVariants);
    const diffIds = config.rootfs?.diff_ids;
    if (!Array.isArray(diffIds) || diffIds.length !== m.layers.length || diffIds.some((d) => typeof d !== 'string')) {
      throw invalid(`${what}: config rootfs.diff_ids does not list one diff id per layer (${m.layers.length})`);
    }
    const tmp = await mkdtemp(join(this.workDir, 'convert-'));
    try {
      const total = m.layers.reduce((n, l) => n + l.size, 0);
      // Layers download in parallel (as docker and skopeo do); progress sums what all have read.
      const read = m.layers.map(() => 0);
      const report = throttle(() => progress({ phase: 'pull', bytesDone: read.reduce((a, b) => a + b, 0), bytesTotal: total, message: `${m.layers.length} layers` }));
      const layers = await mapLimit(m.layers, PULL_CONCURRENCY, async (_layer, i) => {
        const diffId = diffIds[i] as string;
        const path = join(tmp, `layer-${i}.tar`);
        const size = await this.pullLayer(img, i, diffId, path, (n) => {
          read[i] = n;
          report(0);
        });
        return { id: parseDigest(diffId).hex, path, size };
      });
      progress({ phase: 'pull', bytesDone: total, bytesTotal: total, message: `${m.layers.length} layers pulled and verified` });
      const archiveTotal = layers.reduce((n, l) => n + l.size, 0);
      progress({ phase: 'convert', bytesDone: 0, bytesTotal: archiveTotal, message: 'writing docker archive' });
      const size = await writeDockerArchive(
        { config: configBytes, configHex: parseDigest(m.config.digest).hex, repository: archiveRepository(img), tag: img.tag, layers },
        dest,
        throttle((n) => progress({ phase: 'convert', bytesDone: n, bytesTotal: archiveTotal, message: 'writing docker archive' })),
      );
      progress({ phase: 'convert', bytesDone: size, bytesTotal: size, message: 'docker archive written' });
      return { configDigest: m.config.digest, size };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  private async fetchConfig(img: ResolvedImage): Promise<Buffer> {
    const d = img.manifest.config;
    if (d.size > MAX_CONFIG_BYTES) throw invalid(`image ${img.image}: config is ${d.size} bytes, over ${MAX_CONFIG_BYTES}`);
    const chunks: Buffer[] = [];
    await this.pullBlob(img, d.digest, d.size, async (stream) => {
      for await (const c of stream) chunks.push(c as Buffer);
    });
    return Buffer.concat(chunks);
  }

  /** Streams one layer: verify compressed digest → decompress → verify diff id → file. */
  private async pullLayer(img: ResolvedImage, i: number, diffId: string, path: string, onBytes: (n: number) => void): Promise<number> {
    const layer = img.manifest.layers[i];
    if (!layer) throw invalid(`image ${img.image}: no layer ${i}`);
    const expectedDiff = parseDigest(diffId);
    const plain = new DigestingStream(expectedDiff.algorithm);
    await this.pullBlob(img, layer.digest, layer.size, async (stream) => {
      stream.on('data', () => onBytes(stream.size));
      const c = compressionOf(layer.mediaType);
      await pipeline(stream, decompressor(c), plain, createWriteStream(path, { highWaterMark: 1 << 20 })).catch((e: unknown) => {
        throw asLayerError(c, e);
      });
    });
    if (plain.digest !== expectedDiff.value) {
      throw invalid(`image ${img.image}: layer ${layer.digest} decompresses to ${plain.digest}, but the config says ${diffId}`);
    }
    return plain.size;
  }

  private async pullBlob(img: ResolvedImage, digest: string, size: number, consume: (s: VerifyingStream) => Promise<void>): Promise<void> {
    const what = `image ${img.image}: blob ${digest}`;
    let blob;
    try {
      blob = await this.source.client.getBlob(img.repository, digest);
    } catch (e) {
      throw registryFailure(what, e);
    }
    const verify = new VerifyingStream(parseDigest(digest), size);
    blob.stream.on('error', (e) => verify.destroy(e));
    blob.stream.pipe(verify);
    try {
      await consume(verify);
    } catch (e) {
      blob.stream.destroy();
      if (e instanceof DigestError) throw invalid(`${what}: ${e.message}`);
      if (e instanceof StorageError) throw e;
      throw registryFailure(what, e);
    }
  }
}

/** RepoTags repository: the name as users know it, without Docker Hub's implicit parts. */
export function archiveRepository(img: ResolvedImage): string {
  const { registry, repository } = img.ref;
  if (registry === 'docker.io') return repository.replace(/^library\//, '');
  return `${registry}/${repository}`;
}

/** Calls `fn` at most every 100 ms (and always for the first call). */
export function throttle(fn: (n: number) => void, ms = 100): (n: number) => void {
  let last = 0;
  return (n) => {
    const now = Date.now();
    if (now - last >= ms) {
      last = now;
      fn(n);
    }
  };
}

/** Maps with at most `limit` calls in flight; results keep the input order; the first failure wins. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i] as T, i);
      } catch (e) {
        next = items.length; // start nothing new after a failure
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
