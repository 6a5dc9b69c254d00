// Opens the filesystem storage: the blob, upload and manifest stores over one root.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@mikrotik-kube/service-kit';
import { FsBlobStore } from './blob-store';
import { listDir, removeTempFiles, untouchedSince } from './fs-util';
import { GarbageCollector } from './gc';
import { FsManifestStore } from './manifest-store';
import { StoragePaths } from './paths';
import { FsUploadStore } from './upload-store';

export interface StorageLimits {
  maxManifestBytes: number;
  maxBlobBytes: number;
}

export interface FsStorage {
  paths: StoragePaths;
  blobs: FsBlobStore;
  uploads: FsUploadStore;
  manifests: FsManifestStore;
  gc: GarbageCollector;
}

export async function openFsStorage(root: string, limits: StorageLimits, logger?: Logger): Promise<FsStorage> {
  const paths = new StoragePaths(root);
  for (const dir of [paths.blobsDir(), paths.repositoriesDir(), paths.uploadsDir(), paths.tmpDir()]) {
    await mkdir(dir, { recursive: true });
  }
  const blobs = new FsBlobStore(paths);
  const manifests = new FsManifestStore(paths, blobs, limits.maxManifestBytes);
  return {
    paths,
    blobs,
    manifests,
    uploads: new FsUploadStore(paths, blobs, limits.maxBlobBytes),
    gc: new GarbageCollector(paths, blobs, manifests, logger),
  };
}

/**
 * Removes what a kill -9 between a temp file's write and its rename left behind
 * (nothing reads those again), once untouched for `graceMs`: replicas sharing the
 * storage and an offline `--gc` may be writing theirs right now.
 */
export async function removeLeftovers(paths: StoragePaths, logger: Logger, graceMs: number): Promise<void> {
  const before = Date.now() - graceMs;
  let leftovers = await removeTempFiles([paths.repositoriesDir(), paths.blobsDir()], before);
  for (const name of await listDir(paths.tmpDir())) {
    if (!(await untouchedSince(join(paths.tmpDir(), name), before))) continue;
    await rm(join(paths.tmpDir(), name), { recursive: true, force: true });
    leftovers++;
  }
  if (leftovers) logger.info('removed leftover temp files', { count: leftovers });
}
