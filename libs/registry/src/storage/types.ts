// The narrow storage interfaces the HTTP handlers use. The filesystem stores
// implement them, and the pull-through cache decorates them (same interfaces), so
// handlers never know whether content is local or fetched from an upstream.
import type { Readable } from 'node:stream';
import type { Descriptor, DigestAlgorithm } from '@mikrotik-kube/oci';

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

export interface BlobReader {
  /** Size of the whole blob, when known (a blob still arriving from an upstream may not know it). */
  size: number | undefined;
  stream: Readable;
}

export interface BlobStore {
  /** Size of a blob linked into `repo`, or undefined. */
  stat(repo: string, digest: string): Promise<number | undefined>;
  open(repo: string, digest: string, range?: ByteRange): Promise<BlobReader | undefined>;
  /** Links a blob from `from` (or, with no source, from anywhere) into `repo`; false when not found. */
  mount(repo: string, digest: string, from?: string): Promise<boolean>;
  /** Unlinks the blob from `repo`; the data goes with garbage collection. */
  delete(repo: string, digest: string): Promise<boolean>;
}

export interface StoredManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export interface PutManifestResult {
  digest: string;
  subject?: string;
}

export interface PutManifestOptions {
  algorithm?: DigestAlgorithm;
  /** The pull-through cache stores upstream manifests before their blobs arrive. */
  verifyRefs?: boolean;
}

export interface ManifestStore {
  /** By tag or digest. */
  get(repo: string, reference: string): Promise<StoredManifest | undefined>;
  /** Stores the manifest under its digest in `opts.algorithm` (sha256 unless pushed by a sha512 digest). */
  put(repo: string, bytes: Buffer, contentType: string | undefined, tags: string[], opts?: PutManifestOptions): Promise<PutManifestResult>;
  /** By digest: the revision and every tag pointing at it. By tag: the tag only. */
  delete(repo: string, reference: string): Promise<boolean>;
  tags(repo: string): Promise<string[] | undefined>;
  referrers(repo: string, digest: string): Promise<Descriptor[]>;
  repositories(): Promise<string[]>;
}
