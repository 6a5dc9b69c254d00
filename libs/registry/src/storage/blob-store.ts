// Content-addressed blobs on the filesystem: one data file per digest shared by
// all repositories, plus a per-repository link that says the repository may serve it.
import { createReadStream } from 'node:fs';
import { rm, rmdir, stat, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import { exists, listDir, writeFileAtomic } from './fs-util';
import type { StoragePaths } from './paths';
import type { BlobReader, BlobStore, ByteRange } from './types';

export class FsBlobStore implements BlobStore {
  constructor(private readonly paths: StoragePaths) {}

  /** Size of the blob's data file wherever it is linked, or undefined. */
  async dataSize(digest: string): Promise<number | undefined> {
    try {
      return (await stat(this.paths.blob(digest))).size;
    } catch {
      return undefined;
    }
  }

  async isLinked(repo: string, digest: string): Promise<boolean> {
    return exists(this.paths.layerLink(repo, digest));
  }

  async stat(repo: string, digest: string): Promise<number | undefined> {
    if (!(await this.isLinked(repo, digest))) return undefined;
    const size = await this.dataSize(digest);
    // A client that finds a blob present skips uploading it and soon references it:
    // refreshing the mtime keeps it inside the GC grace period until then.
    if (size !== undefined) await this.touch(digest);
    return size;
  }

  async touch(digest: string): Promise<void> {
    const now = new Date();
    await utimes(this.paths.blob(digest), now, now).catch(() => undefined);
  }

  async open(repo: string, digest: string, range?: ByteRange): Promise<BlobReader | undefined> {
    if (!(await this.isLinked(repo, digest))) return undefined;
    const size = await this.dataSize(digest);
    if (size === undefined) return undefined;
    const stream = createReadStream(this.paths.blob(digest), range ? { start: range.start, end: range.end } : {});
    return { size, stream };
  }

  /** Marks `digest` as part of `repo` (the data file must exist). */
  async link(repo: string, digest: string): Promise<void> {
    await this.touch(digest);
    const link = this.paths.layerLink(repo, digest);
    if (!(await exists(link))) await writeFileAtomic(link, digest);
  }

  async mount(repo: string, digest: string, from?: string): Promise<boolean> {
    if (from !== undefined && !(await this.isLinked(from, digest))) return false;
    if ((await this.dataSize(digest)) === undefined) return false;
    await this.link(repo, digest);
    return true;
  }

  async delete(repo: string, digest: string): Promise<boolean> {
    const link = this.paths.layerLink(repo, digest);
    if (!(await exists(link))) return false;
    await rm(link, { force: true });
    return true;
  }

  /** Every digest that has a data file (for garbage collection). */
  async *allBlobs(): AsyncGenerator<{ digest: string; path: string }> {
    const root = this.paths.blobsDir();
    for (const alg of await listDir(root)) {
      for (const prefix of await listDir(`${root}/${alg}`)) {
        for (const hex of await listDir(`${root}/${alg}/${prefix}`)) {
          if (hex.startsWith('.')) continue;
          yield { digest: `${alg}:${hex}`, path: `${root}/${alg}/${prefix}/${hex}` };
        }
      }
    }
  }

  /** Removes a blob's data file (garbage collection only). */
  async removeData(digest: string): Promise<void> {
    const p = this.paths.blob(digest);
    await rm(p, { force: true });
    await rmdir(dirname(p)).catch(() => undefined); // only when empty
  }
}
