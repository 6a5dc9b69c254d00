// Pull-through decorator of the manifest store. Digests are immutable: served from
// the cache once fetched. Tags are re-checked upstream once older than the TTL
// (a HEAD, which Docker Hub does not count against pull limits), and when the
// upstream cannot be reached the cached tag is served as it is.
import { isDigest, isNotFound, parseDigest, type Descriptor } from '@mikrotik-kube/oci';
import type { Logger } from '@mikrotik-kube/service-kit';
import type { RegistryMetrics } from '../http/deps';
import type { FsManifestStore } from '../storage/manifest-store';
import type { ManifestStore, PutManifestOptions, PutManifestResult, StoredManifest } from '../storage/types';
import type { UpstreamResolver, UpstreamTarget } from './upstreams';

export class ProxyManifestStore implements ManifestStore {
  constructor(
    private readonly local: FsManifestStore,
    private readonly upstreams: UpstreamResolver,
    private readonly metrics: RegistryMetrics,
    private readonly logger: Logger,
  ) {}

  async get(repo: string, reference: string): Promise<StoredManifest | undefined> {
    const target = this.upstreams.resolve(repo);
    if (!target) return this.local.get(repo, reference);
    if (isDigest(reference)) {
      const cached = await this.local.get(repo, reference);
      this.metrics.cache.inc({ kind: 'manifest', result: cached ? 'hit' : 'miss' });
      return cached ?? this.fetch(repo, reference, target, []);
    }
    const age = await this.local.tagAge(repo, reference);
    const ttlMs = target.upstream.config.tagTtlSeconds * 1000;
    if (age !== undefined && age < ttlMs) {
      this.metrics.cache.inc({ kind: 'manifest', result: 'hit' });
      return this.local.get(repo, reference);
    }
    this.metrics.cache.inc({ kind: 'manifest', result: 'miss' });
    try {
      const head = await target.upstream.client.headManifest(target.remote, reference);
      if (!head) return undefined;
      const cached = await this.local.get(repo, head.digest);
      if (cached) {
        await this.local.retag(repo, reference, head.digest);
        return cached;
      }
      return await this.fetch(repo, reference, target, [reference]);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      this.upstreamFailed(target, err);
      return this.local.get(repo, reference);
    }
  }

  private async fetch(repo: string, reference: string, target: UpstreamTarget, tags: string[]): Promise<StoredManifest | undefined> {
    let m;
    try {
      m = await target.upstream.client.getManifest(target.remote, reference);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      this.upstreamFailed(target, err);
      throw err;
    }
    await this.local.put(repo, m.bytes, m.mediaType, tags, {
      verifyRefs: false,
      ...(isDigest(reference) ? { algorithm: parseDigest(reference).algorithm } : {}),
    });
    return { digest: m.digest, mediaType: m.mediaType, bytes: m.bytes };
  }

  private upstreamFailed(target: UpstreamTarget, err: unknown): void {
    this.metrics.upstreamErrors.inc({ upstream: target.upstream.config.name });
    this.logger.warn('upstream request failed', { upstream: target.upstream.config.name, error: (err as Error).message });
  }

  put(repo: string, bytes: Buffer, contentType: string | undefined, tags: string[], opts?: PutManifestOptions): Promise<PutManifestResult> {
    return this.local.put(repo, bytes, contentType, tags, opts);
  }

  delete(repo: string, reference: string): Promise<boolean> {
    return this.local.delete(repo, reference);
  }

  async tags(repo: string): Promise<string[] | undefined> {
    const target = this.upstreams.resolve(repo);
    if (target) {
      try {
        return (await target.upstream.client.listTags(target.remote)).sort();
      } catch (err) {
        if (isNotFound(err)) return undefined;
        this.upstreamFailed(target, err);
      }
    }
    return this.local.tags(repo);
  }

  referrers(repo: string, digest: string): Promise<Descriptor[]> {
    return this.local.referrers(repo, digest);
  }

  repositories(): Promise<string[]> {
    return this.local.repositories();
  }
}
