// Writes an OCI image layout directory (oci-layout, index.json, blobs/<alg>/<hex>),
// the on-disk form skopeo reads as `oci:<dir>:<tag>`. Blobs are streamed to a temp
// file and renamed to their digest, so large layers never sit in memory.
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestingStream, digestOf, parseDigest } from './digest';
import type { Descriptor } from './manifest';

const REF_NAME = 'org.opencontainers.image.ref.name';

export class OciLayoutWriter {
  private tmpCounter = 0;

  constructor(readonly dir: string) {}

  private blobPath(digest: string): string {
    const d = parseDigest(digest);
    return join(this.dir, 'blobs', d.algorithm, d.hex);
  }

  async init(): Promise<void> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(this.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  }

  async addBlob(mediaType: string, content: Buffer | string): Promise<Descriptor> {
    const buf = Buffer.from(content);
    const digest = digestOf(buf);
    await writeFile(this.blobPath(digest), buf);
    return { mediaType, digest, size: buf.length };
  }

  async addBlobStream(mediaType: string, content: Readable): Promise<Descriptor> {
    const tmp = join(this.dir, 'blobs', `.tmp-${process.pid}-${this.tmpCounter++}`);
    const hasher = new DigestingStream();
    await pipeline(content, hasher, createWriteStream(tmp));
    await rename(tmp, this.blobPath(hasher.digest));
    return { mediaType, digest: hasher.digest, size: hasher.size };
  }

  /** Adds a JSON document (config, manifest, index) as a blob. */
  async addJson(mediaType: string, doc: unknown): Promise<Descriptor> {
    return this.addBlob(mediaType, JSON.stringify(doc));
  }

  /** Records `desc` in index.json under `tag` (replacing an older entry of that tag). */
  async tag(desc: Descriptor, tag: string): Promise<void> {
    const indexPath = join(this.dir, 'index.json');
    let index: { schemaVersion: 2; mediaType?: string; manifests: Descriptor[] };
    try {
      index = JSON.parse(await readFile(indexPath, 'utf8')) as typeof index;
    } catch {
      index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] };
    }
    index.manifests = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== tag);
    index.manifests.push({ ...desc, annotations: { ...desc.annotations, [REF_NAME]: tag } });
    await writeFile(indexPath, JSON.stringify(index));
  }
}
