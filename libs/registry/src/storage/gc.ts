// Mark and sweep garbage collection. Marks every manifest a repository keeps (all
// of them, or with deleteUntagged only those reachable from a tag through index
// children and referrers) and the blobs they reference; sweeps blob data nobody
// marked. Anything younger than the grace period is left alone, because a
// concurrent push uploads blobs before the manifest that references them (and a
// HEAD or mount refreshes an existing blob's mtime for the same reason).
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@mikrotik-kube/service-kit';
import type { FsBlobStore } from './blob-store';
import { listDir } from './fs-util';
import type { FsManifestStore } from './manifest-store';
import type { StoragePaths } from './paths';

export interface GcOptions {
  dryRun?: boolean;
  deleteUntagged?: boolean;
  graceMs: number;
  now?: number;
}

export interface GcResult {
  blobsDeleted: string[];
  bytesFreed: number;
  manifestsDeleted: Array<{ repo: string; digest: string }>;
  blobsKept: number;
}

export class GarbageCollector {
  private running: Promise<GcResult> | undefined;

  constructor(
    private readonly paths: StoragePaths,
    private readonly blobs: FsBlobStore,
    private readonly manifests: FsManifestStore,
    private readonly logger?: Logger,
  ) {}

  /** Runs one collection; concurrent callers share the run in progress. */
  run(opts: GcOptions): Promise<GcResult> {
    this.running ??= this.collect(opts).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async youngerThanGrace(path: string, opts: GcOptions): Promise<boolean> {
    try {
      return (opts.now ?? Date.now()) - (await stat(path)).mtimeMs < opts.graceMs;
    } catch {
      return false;
    }
  }

  private async collect(opts: GcOptions): Promise<GcResult> {
    const result: GcResult = { blobsDeleted: [], bytesFreed: 0, manifestsDeleted: [], blobsKept: 0 };
    const marked = new Set<string>();
    for (const repo of await this.manifests.repositories()) {
      const revisions = await this.manifests.revisions(repo);
      const keep = opts.deleteUntagged ? await this.reachable(repo) : new Set(revisions);
      for (const digest of revisions) {
        const rev = await this.manifests.revision(repo, digest);
        if (!rev) continue;
        const recent = await this.youngerThanGrace(this.paths.revision(repo, digest), opts);
        if (keep.has(digest) || recent) {
          marked.add(digest);
          for (const r of rev.refs) marked.add(r);
          continue;
        }
        result.manifestsDeleted.push({ repo, digest });
        if (!opts.dryRun) await this.manifests.delete(repo, digest);
      }
    }
    const swept = new Set<string>();
    for await (const { digest, path } of this.blobs.allBlobs()) {
      if (marked.has(digest)) {
        result.blobsKept++;
        continue;
      }
      let size = 0;
      try {
        const st = await stat(path);
        if ((opts.now ?? Date.now()) - st.mtimeMs < opts.graceMs) {
          result.blobsKept++;
          continue;
        }
        size = st.size;
      } catch {
        continue;
      }
      result.blobsDeleted.push(digest);
      result.bytesFreed += size;
      swept.add(digest);
      if (!opts.dryRun) await this.blobs.removeData(digest);
    }
    if (!opts.dryRun && swept.size) await this.unlinkSwept(swept);
    this.logger?.info('garbage collection finished', {
      dryRun: !!opts.dryRun,
      blobsDeleted: result.blobsDeleted.length,
      bytesFreed: result.bytesFreed,
      manifestsDeleted: result.manifestsDeleted.length,
      blobsKept: result.blobsKept,
    });
    return result;
  }

  /** Tagged manifests plus, transitively, their index children and referrers. */
  private async reachable(repo: string): Promise<Set<string>> {
    const seen = new Set<string>();
    const queue: string[] = [];
    for (const tag of (await this.manifests.tags(repo)) ?? []) {
      const d = await this.manifests.resolve(repo, tag);
      if (d) queue.push(d);
    }
    while (queue.length) {
      const d = queue.pop() as string;
      if (seen.has(d)) continue;
      seen.add(d);
      const rev = await this.manifests.revision(repo, d);
      if (rev) queue.push(...rev.children);
      for (const r of await this.manifests.referrers(repo, d)) queue.push(r.digest);
    }
    return seen;
  }

  /** Drops repository links to swept blobs so no repository claims content that is gone. */
  private async unlinkSwept(swept: Set<string>): Promise<void> {
    for (const repo of await this.manifests.repositories()) {
      const dir = this.paths.layersDir(repo);
      for (const alg of await listDir(dir)) {
        for (const hex of await listDir(join(dir, alg))) {
          const digest = `${alg}:${hex}`;
          if (swept.has(digest)) await this.blobs.delete(repo, digest);
        }
      }
    }
  }
}
