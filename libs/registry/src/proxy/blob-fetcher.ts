// Fetches an uncached blob from an upstream exactly once, however many clients ask
// for it at the same time. The download goes to a temp file (digest verified on
// the way); every client streams from that file as it grows, so nobody waits for
// the whole blob and nothing is held in memory. When complete the file is linked
// into the blob store.
import { EventEmitter } from 'node:events';
import { closeSync, openSync, read as fsRead, writeSync, close as fsClose, fsyncSync } from 'node:fs';
import { link, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { VerifyingStream, parseDigest } from '@mikrotik-kube/oci';
import type { FsBlobStore } from '../storage/blob-store';
import { fsyncDir } from '../storage/fs-util';
import type { StoragePaths } from '../storage/paths';
import type { BlobReader } from '../storage/types';
import type { UpstreamTarget } from './upstreams';

class Download extends EventEmitter {
  written = 0;
  size: number | undefined;
  done = false;
  error: Error | undefined;
  readonly finished: Promise<void>;

  constructor(readonly path: string) {
    super();
    this.setMaxListeners(0);
    this.finished = new Promise((resolve, reject) => {
      this.once('end', () => (this.error ? reject(this.error) : resolve()));
    });
    this.finished.catch(() => undefined);
  }

  settle(error?: Error): void {
    this.error = error;
    this.done = true;
    this.emit('progress');
    this.emit('end');
  }

  reader(): Readable {
    return followingReader(this);
  }
}

/** A reader that follows a download's file as it grows and ends when the download does. */
function followingReader(download: Download): Readable {
  const fd = openSync(download.path, 'r');
  let pos = 0;
  let closed = false;
  const close = () => {
    if (!closed) {
      closed = true;
      fsClose(fd, () => undefined);
    }
  };
  return new Readable({
    highWaterMark: 1 << 20,
    read() {
      const step = () => {
        if (download.error) return this.destroy(download.error);
        if (pos < download.written) {
          const buf = Buffer.allocUnsafe(Math.min(1 << 20, download.written - pos));
          fsRead(fd, buf, 0, buf.length, pos, (err, n) => {
            if (err) return this.destroy(err);
            pos += n;
            this.push(buf.subarray(0, n));
          });
          return;
        }
        if (download.done) {
          this.push(null);
          return;
        }
        download.once('progress', step);
      };
      step();
    },
    destroy(err, cb) {
      close();
      cb(err);
    },
  }).on('end', close);
}

export class BlobFetcher {
  private readonly inflight = new Map<string, Download>();

  constructor(
    private readonly paths: StoragePaths,
    private readonly blobs: FsBlobStore,
    private readonly onError: (upstream: string, err: Error) => void,
  ) {}

  /** Streams the blob to the caller while it is being cached in `repo`. */
  async open(repo: string, digest: string, target: UpstreamTarget): Promise<BlobReader> {
    let dl = this.inflight.get(digest);
    if (!dl) {
      const started = await this.start(repo, digest, target);
      dl = this.inflight.get(digest) ?? started;
    }
    return { size: dl.size, stream: dl.reader() };
  }

  /** Resolves once the blob is fully cached (or rejects with the upstream error). */
  async fetch(repo: string, digest: string, target: UpstreamTarget): Promise<void> {
    const dl = this.inflight.get(digest) ?? (await this.start(repo, digest, target));
    await dl.finished;
  }

  private async start(repo: string, digest: string, target: UpstreamTarget): Promise<Download> {
    const existing = this.inflight.get(digest);
    if (existing) return existing;
    const path = join(this.paths.tmpDir(), `fetch-${randomUUID()}`);
    const fd = openSync(path, 'w');
    const dl = new Download(path);
    this.inflight.set(digest, dl);
    let remote;
    try {
      remote = await target.upstream.client.getBlob(target.remote, digest);
    } catch (err) {
      closeSync(fd);
      this.inflight.delete(digest);
      dl.settle(err as Error);
      await rm(path, { force: true });
      this.onError(target.upstream.config.name, err as Error);
      throw err;
    }
    dl.size = remote.size;
    const sink = new Writable({
      highWaterMark: 1 << 20,
      write(chunk: Buffer, _enc, cb) {
        try {
          writeSync(fd, chunk);
          dl.written += chunk.length;
          dl.emit('progress');
          cb();
        } catch (err) {
          cb(err as Error);
        }
      },
    });
    void pipeline(remote.stream, new VerifyingStream(parseDigest(digest), remote.size), sink)
      .then(async () => {
        fsyncSync(fd);
        closeSync(fd);
        const dest = this.paths.blob(digest);
        await mkdir(dirname(dest), { recursive: true });
        // link, not rename: readers that open the temp path meanwhile still find it.
        await link(path, dest).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
        });
        await fsyncDir(dirname(dest));
        await this.blobs.link(repo, digest);
        this.inflight.delete(digest);
        dl.settle();
        await rm(path, { force: true });
      })
      .catch(async (err: Error) => {
        try {
          closeSync(fd);
        } catch {
          // already closed
        }
        this.inflight.delete(digest);
        dl.settle(err);
        await rm(path, { force: true });
        this.onError(target.upstream.config.name, err);
      });
    return dl;
  }
}
