// What the handlers are given: the stores (possibly wrapped by the pull-through
// cache), limits, metrics, and which repositories refuse writes.
import type { Counter } from 'prom-client';
import type { FsUploadStore } from '../storage/upload-store';
import type { BlobStore, ManifestStore } from '../storage/types';

export interface RegistryMetrics {
  requests: Counter<'route' | 'method' | 'status'>;
  bytesIn: Counter;
  bytesOut: Counter;
  cache: Counter<'kind' | 'result'>;
  upstreamErrors: Counter<'upstream'>;
}

export interface HandlerDeps {
  blobs: BlobStore;
  manifests: ManifestStore;
  uploads: FsUploadStore;
  maxManifestBytes: number;
  metrics: RegistryMetrics;
  /** Repositories served from an upstream cache are read-only. */
  readOnly(name: string): boolean;
}
