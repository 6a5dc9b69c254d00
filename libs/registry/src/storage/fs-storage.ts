// Opens the filesystem storage: the blob, upload and manifest stores over one root.
import { mkdir } from 'node:fs/promises';
import type { Logger } from '@mikrotik-kube/service-kit';
import { FsBlobStore } from './blob-store';
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
