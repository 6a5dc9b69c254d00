// Pull-through decorator of the blob store: local content first, otherwise the
// upstream's, fetched once and cached while it streams to the client.
import { isNotFound } from '@mikrotik-kube/oci';
import type { RegistryMetrics } from '../http/deps';
import type { FsBlobStore } from '../storage/blob-store';
import type { BlobReader, BlobStore, ByteRange } from '../storage/types';
import type { BlobFetcher } from './blob-fetcher';
import type { UpstreamResolver } from './upstreams';

export class ProxyBlobStore implements BlobStore {
  constructor(
    private readonly local: FsBlobStore,
    private readonly upstreams: UpstreamResolver,
    private readonly fetcher: BlobFetcher,
    private readonly metrics: RegistryMetrics,
  ) {}

  async stat(repo: string, digest: string): Promise<number | undefined> {
    const size = await this.local.stat(repo, digest);
    const target = this.upstreams.resolve(repo);
    if (size !== undefined || !target) return size;
    try {
      return await target.upstream.client.headBlob(target.remote, digest);
    } catch (err) {
      if (!isNotFound(err)) this.metrics.upstreamErrors.inc({ upstream: target.upstream.config.name });
      return undefined;
    }
  }

  async open(repo: string, digest: string, range?: ByteRange): Promise<BlobReader | undefined> {
    const target = this.upstreams.resolve(repo);
    const cached = await this.local.open(repo, digest, range);
    if (cached || !target) {
      if (target) this.metrics.cache.inc({ kind: 'blob', result: cached ? 'hit' : 'miss' });
      return cached;
    }
    // Another repository of the same upstream may already hold the blob.
    if ((await this.local.dataSize(digest)) !== undefined && (await this.local.mount(repo, digest))) {
      this.metrics.cache.inc({ kind: 'blob', result: 'hit' });
      return this.local.open(repo, digest, range);
    }
    this.metrics.cache.inc({ kind: 'blob', result: 'miss' });
    try {
      if (range) {
        // A range of a blob not cached yet: cache the whole blob first, then serve the range.
        await this.fetcher.fetch(repo, digest, target);
        return await this.local.open(repo, digest, range);
      }
      return await this.fetcher.open(repo, digest, target);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  mount(repo: string, digest: string, from?: string): Promise<boolean> {
    return this.local.mount(repo, digest, from);
  }

  delete(repo: string, digest: string): Promise<boolean> {
    return this.local.delete(repo, digest);
  }
}
