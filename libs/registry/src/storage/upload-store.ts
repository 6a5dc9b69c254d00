// Blob upload sessions: data appended in order to uploads/<id>/data while a
// running hash is kept in memory, verified against the client's digest on commit
// and renamed into the content-addressed store. Sessions left idle expire.
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseDigest, type DigestAlgorithm } from '@mikrotik-kube/oci';
import { RegistryError } from '../errors';
import type { FsBlobStore } from './blob-store';
import { commitFile, exists, listDir } from './fs-util';
import type { StoragePaths } from './paths';

interface SessionInfo {
  repo: string;
  startedAt: string;
}

interface LiveSession {
  hash: Hash;
  algorithm: DigestAlgorithm;
  offset: number;
  busy: boolean;
}

export interface UploadStatus {
  id: string;
  size: number;
}

export class FsUploadStore {
  private readonly live = new Map<string, LiveSession>();

  constructor(
    private readonly paths: StoragePaths,
    private readonly blobs: FsBlobStore,
    private readonly maxBlobBytes: number,
  ) {}

  async create(repo: string): Promise<string> {
    const id = randomUUID();
    const dir = this.paths.upload(id);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'data'), '');
    const info: SessionInfo = { repo, startedAt: new Date().toISOString() };
    await writeFile(join(dir, 'info.json'), JSON.stringify(info));
    this.live.set(id, { hash: createHash('sha256'), algorithm: 'sha256', offset: 0, busy: false });
    return id;
  }

  private async info(repo: string, id: string): Promise<SessionInfo> {
    let info: SessionInfo;
    try {
      info = JSON.parse(await readFile(join(this.paths.upload(id), 'info.json'), 'utf8')) as SessionInfo;
    } catch {
      throw new RegistryError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is unknown`);
    }
    if (info.repo !== repo) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is unknown in ${repo}`);
    return info;
  }

  /** The in-memory session, rebuilt by re-hashing the data after a restart. */
  private async session(id: string): Promise<LiveSession> {
    let s = this.live.get(id);
    if (!s) {
      const hash = createHash('sha256');
      let offset = 0;
      const data = join(this.paths.upload(id), 'data');
      try {
        for await (const chunk of createReadStream(data)) {
          hash.update(chunk as Buffer);
          offset += (chunk as Buffer).length;
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        // A commit killed after moving the data into the blob store and before removing the
        // session: the upload is over, so it is unknown (the client starts again), not a 500 forever.
        await this.remove(id);
        throw new RegistryError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is unknown`);
      }
      s = { hash, algorithm: 'sha256', offset, busy: false };
      this.live.set(id, s);
    }
    return s;
  }

  async status(repo: string, id: string): Promise<UploadStatus> {
    await this.info(repo, id);
    return { id, size: (await this.session(id)).offset };
  }

  /**
   * Appends `body` at `start` (undefined = wherever the upload is). A chunk that does
   * not start at the current end is refused with 416 and changes nothing.
   */
  async append(repo: string, id: string, body: Readable, start?: number, length?: number): Promise<UploadStatus> {
    await this.info(repo, id);
    const s = await this.session(id);
    if (s.busy) throw new RegistryError('RANGE_INVALID', `upload ${id} is receiving another chunk`);
    if (start !== undefined && start !== s.offset) {
      throw new RegistryError('RANGE_INVALID', `chunk starts at ${start}, the upload has ${s.offset} bytes`);
    }
    s.busy = true;
    const data = join(this.paths.upload(id), 'data');
    const before = s.offset;
    const probe = s.hash.copy();
    let written = 0;
    const max = this.maxBlobBytes;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        written += chunk.length;
        if (before + written > max) return cb(new RegistryError('SIZE_INVALID', `blob exceeds ${max} bytes`, { status: 413 }));
        if (length !== undefined && written > length) return cb(new RegistryError('SIZE_INVALID', 'chunk is longer than its Content-Range'));
        probe.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(body, counter, createWriteStream(data, { flags: 'r+', start: before }));
      if (length !== undefined && written !== length) {
        throw new RegistryError('SIZE_INVALID', `chunk has ${written} bytes, Content-Range says ${length}`);
      }
      s.hash = probe;
      s.offset = before + written;
    } catch (err) {
      // Nothing is kept of a failed chunk: the file is cut back to where it was.
      await truncate(data, before).catch(() => undefined);
      throw err;
    } finally {
      s.busy = false;
    }
    return { id, size: s.offset };
  }

  /** Verifies the whole upload against `digest`, moves it into the blob store and links it. */
  async commit(repo: string, id: string, digest: string): Promise<number> {
    await this.info(repo, id);
    let d;
    try {
      d = parseDigest(digest);
    } catch (err) {
      throw new RegistryError('DIGEST_INVALID', (err as Error).message);
    }
    const s = await this.session(id);
    if (s.busy) throw new RegistryError('RANGE_INVALID', `upload ${id} is receiving a chunk`);
    const data = join(this.paths.upload(id), 'data');
    let actual: string;
    if (d.algorithm === s.algorithm) actual = `${d.algorithm}:${s.hash.copy().digest('hex')}`;
    else {
      const h = createHash(d.algorithm);
      await pipeline(createReadStream(data), h);
      actual = `${d.algorithm}:${h.digest('hex')}`;
    }
    if (actual !== d.value) {
      throw new RegistryError('DIGEST_INVALID', `upload has digest ${actual}, not ${d.value}`);
    }
    const size = s.offset;
    // Another push of the same blob may have finished first; the content is identical, so either wins.
    if ((await this.blobs.dataSize(d.value)) === undefined) await commitFile(data, this.paths.blob(d.value));
    await this.blobs.link(repo, d.value);
    await this.remove(id);
    return size;
  }

  async cancel(repo: string, id: string): Promise<void> {
    await this.info(repo, id);
    await this.remove(id);
  }

  private async remove(id: string): Promise<void> {
    this.live.delete(id);
    await rm(this.paths.upload(id), { recursive: true, force: true });
  }

  /** Removes sessions idle for longer than `maxAgeMs`; returns how many. */
  async purgeStale(maxAgeMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    for (const id of await listDir(this.paths.uploadsDir())) {
      const dir = join(this.paths.uploadsDir(), id);
      if (this.live.get(id)?.busy) continue;
      try {
        const st = await stat(join(dir, 'data'));
        if (now - st.mtimeMs < maxAgeMs) continue;
      } catch {
        if (!(await exists(dir))) continue;
      }
      this.live.delete(id);
      await rm(dir, { recursive: true, force: true });
      removed++;
    }
    return removed;
  }
}
