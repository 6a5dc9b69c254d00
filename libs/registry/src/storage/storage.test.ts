// The filesystem stores on a real directory: concurrent pushes of one blob,
// chunk offsets, restart of an upload session (one a kill cut short too), and expiry of stale sessions.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, renameSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { digestOf } from '@mikrotik-kube/oci';
import { RegistryError } from '../errors';
import { openFsStorage } from './fs-storage';
import { FsUploadStore } from './upload-store';

const limits = { maxManifestBytes: 4 << 20, maxBlobBytes: 1 << 30 };

async function storage() {
  return openFsStorage(join(mkdtempSync(join(tmpdir(), 'storage-')), 'root'), limits);
}

describe('filesystem storage', () => {
  it('lets concurrent pushes of the same blob all succeed with one intact copy', async () => {
    const s = await storage();
    const blob = randomBytes(512 * 1024);
    const digest = digestOf(blob);
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const repo = `r/${i % 3}`;
        const id = await s.uploads.create(repo);
        // Uneven chunks so the writes interleave.
        for (let off = 0; off < blob.length; off += 100_000 + i * 1000) {
          const chunk = blob.subarray(off, Math.min(blob.length, off + 100_000 + i * 1000));
          await s.uploads.append(repo, id, Readable.from([chunk]), off, chunk.length);
        }
        await s.uploads.commit(repo, id, digest);
      }),
    );
    expect(digestOf(readFileSync(s.paths.blob(digest)))).toBe(digest);
    for (const repo of ['r/0', 'r/1', 'r/2']) expect(await s.blobs.stat(repo, digest)).toBe(blob.length);
    expect(readdirSync(s.paths.uploadsDir())).toEqual([]);
  });

  it('refuses a chunk at the wrong offset and keeps what was written', async () => {
    const s = await storage();
    const id = await s.uploads.create('a');
    await s.uploads.append('a', id, Readable.from([Buffer.from('hello ')]), 0, 6);
    await expect(s.uploads.append('a', id, Readable.from([Buffer.from('x')]), 3, 1)).rejects.toMatchObject({ status: 416 });
    await expect(s.uploads.append('a', id, Readable.from([Buffer.from('toolong')]), 6, 3)).rejects.toBeInstanceOf(RegistryError);
    expect((await s.uploads.status('a', id)).size).toBe(6);
    await expect(s.uploads.status('b', id)).rejects.toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
    await s.uploads.append('a', id, Readable.from([Buffer.from('world')]));
    await expect(s.uploads.commit('a', id, digestOf('hello there'))).rejects.toMatchObject({ code: 'DIGEST_INVALID' });
  });

  it('resumes an upload after a restart by re-hashing what is on disk', async () => {
    const s = await storage();
    const id = await s.uploads.create('a');
    await s.uploads.append('a', id, Readable.from([Buffer.from('part one, ')]));
    // A new store over the same root stands in for a restarted process.
    const restarted = new FsUploadStore(s.paths, s.blobs, limits.maxBlobBytes);
    expect((await restarted.status('a', id)).size).toBe(10);
    await restarted.append('a', id, Readable.from([Buffer.from('part two')]), 10, 8);
    await restarted.commit('a', id, digestOf('part one, part two'));
    expect(await s.blobs.stat('a', digestOf('part one, part two'))).toBe(18);
  });

  it('forgets a session whose commit a kill cut short after its data moved into the blob store', async () => {
    const s = await storage();
    const id = await s.uploads.create('a');
    await s.uploads.append('a', id, Readable.from([Buffer.from('all of it')]));
    // What commit leaves when the process dies between its rename and its rm: info.json, no data.
    renameSync(join(s.paths.upload(id), 'data'), join(s.paths.root, 'moved'));
    const restarted = new FsUploadStore(s.paths, s.blobs, limits.maxBlobBytes);
    // Unknown (404, the client starts over), not an internal error on every retry.
    await expect(restarted.status('a', id)).rejects.toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
    await expect(restarted.commit('a', id, digestOf('all of it'))).rejects.toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
    expect(readdirSync(s.paths.uploadsDir())).toEqual([]);
  });

  it('expires idle upload sessions and keeps active ones', async () => {
    const s = await storage();
    const old = await s.uploads.create('a');
    const fresh = await s.uploads.create('a');
    const past = new Date(Date.now() - 2 * 3600_000);
    utimesSync(join(s.paths.upload(old), 'data'), past, past);
    expect(await s.uploads.purgeStale(3600_000)).toBe(1);
    await expect(s.uploads.status('a', old)).rejects.toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
    expect((await s.uploads.status('a', fresh)).size).toBe(0);
  });
});
