// Cache garbage collection: least recently used first, by total size, age and a floor of
// the N most recently used; an entry an EnsureImage is working on stays. The tarballs on the
// router are shared by every replica (named by content, any replica may have delivered one and
// handed it to vk-provider), so no replica's cache decides them alone: one of ours on the router
// goes only once no container uses it (asked of the router on every run), this cache no longer
// keeps it, and it has stayed so for `strayGraceMs` as this GC saw it — never another replica's
// fresh delivery that a container is about to be created from.
import type { Logger } from '@mikrotik-kube/service-kit';
import type { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { cacheKey, type CacheEntry, type ImageCache } from './image-cache';
import { filesInUse, normalisePath, removeRouterFile } from './router-files';

export interface GcPolicy {
  /** Total cache size to stay under; 0 = no limit. */
  maxBytes: number;
  /** Entries unused for longer are removed; 0 = no limit. */
  maxAgeMs: number;
  /** The most recently used N are always kept. */
  keepLastN: number;
  /** How long a tarball on the router must stay unknown to the cache before it goes. */
  strayGraceMs: number;
}

export interface GcReport {
  removed: string[];
  freedBytes: number;
  inUse: string[];
}

/** Which entries the policy would drop, oldest use first (pure: no I/O). */
export function planGc(entries: readonly CacheEntry[], policy: GcPolicy, now: number): CacheEntry[] {
  const byRecent = [...entries].sort((a, b) => b.lastUsedAt - a.lastUsedAt);
  const candidates = byRecent.slice(policy.keepLastN);
  const drop = new Set<CacheEntry>();
  if (policy.maxAgeMs > 0) for (const e of candidates) if (now - e.lastUsedAt > policy.maxAgeMs) drop.add(e);
  if (policy.maxBytes > 0) {
    let total = entries.reduce((n, e) => n + e.size, 0) - [...drop].reduce((n, e) => n + e.size, 0);
    for (const e of [...candidates].reverse()) {
      if (total <= policy.maxBytes) break;
      if (drop.has(e)) continue;
      drop.add(e);
      total -= e.size;
    }
  }
  return byRecent.filter((e) => drop.has(e)).reverse();
}

const OUR_TARBALL = /^[a-f0-9]{64}-(arm64|arm|x86)\.tar$/;

export class GarbageCollector {
  private running: Promise<GcReport> | undefined;
  /** Router path → when a GC run first saw it as a stray. */
  private readonly strays = new Map<string, number>();

  constructor(
    private readonly cache: ImageCache,
    private readonly router: RouterOsClient,
    private readonly routerDir: string,
    private readonly policy: GcPolicy,
    private readonly busy: () => Set<string>,
    private readonly logger: Logger,
  ) {}

  /** One run at a time; a second caller gets the running one's report. */
  run(dryRun: boolean): Promise<GcReport> {
    this.running ??= this.collect(dryRun).finally(() => (this.running = undefined));
    return this.running;
  }

  private async collect(dryRun: boolean): Promise<GcReport> {
    const inUseFiles = await filesInUse(this.router);
    const busy = this.busy();
    const report: GcReport = { removed: [], freedBytes: 0, inUse: [] };
    const dropped = new Set<string>();
    for (const e of planGc(this.cache.list(), this.policy, Date.now())) {
      const used = e.routerFile && inUseFiles.has(normalisePath(e.routerFile));
      if (used || busy.has(cacheKey(e.manifestDigest, e.arch))) {
        if (used) report.inUse.push(e.routerFile);
        continue;
      }
      this.logger.info(dryRun ? 'gc would remove' : 'gc removing', { image: e.image, manifestDigest: e.manifestDigest, arch: e.arch, bytes: e.size, lastUsedAt: new Date(e.lastUsedAt).toISOString() });
      if (!dryRun) await this.cache.remove(e);
      // Its copy on the router is judged below, with every other tarball there.
      if (e.routerFile) dropped.add(normalisePath(e.routerFile));
      else {
        report.removed.push(this.cache.path(e));
        report.freedBytes += e.size;
      }
    }
    // Our tarballs on the router that this cache does not keep.
    const kept = new Set(this.cache.list().map((e) => normalisePath(e.routerFile)).filter((f) => !dropped.has(f)));
    const dir = normalisePath(this.routerDir);
    const seen = new Set<string>();
    for (const f of await this.router.files.list()) {
      const base = f.name.slice(dir.length + 1);
      if (!f.name.startsWith(`${dir}/`) || !OUR_TARBALL.test(base) || kept.has(f.name)) continue;
      if (inUseFiles.has(f.name)) {
        if (!report.inUse.includes(f.name)) report.inUse.push(f.name);
        continue;
      }
      seen.add(f.name);
      const since = this.strays.get(f.name) ?? Date.now();
      this.strays.set(f.name, since);
      if (Date.now() - since < this.policy.strayGraceMs) continue;
      this.logger.info(dryRun ? 'gc would remove' : 'gc removing', { routerFile: f.name, bytes: f.size, reason: dropped.has(f.name) ? 'dropped from cache' : 'not in cache' });
      if (!dryRun) await removeRouterFile(this.router, f.id || f.name);
      if (!dryRun) this.strays.delete(f.name);
      report.removed.push(f.name);
      report.freedBytes += f.size;
    }
    for (const name of this.strays.keys()) if (!seen.has(name)) this.strays.delete(name);
    return report;
  }
}
