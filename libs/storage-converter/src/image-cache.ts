// The local cache of converted tarballs, keyed by (manifest digest, architecture), with an
// index of sizes, use times and where each tarball was delivered on the router. The index
// is rewritten atomically after every change and checked against the files on start.
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDigest } from '@mikrotik-kube/oci';
import { JsonStateFile } from '@mikrotik-kube/atomic-file';
import type { RouterArch } from './platform';

export interface CacheEntry {
  image: string;
  manifestDigest: string;
  configDigest: string;
  arch: RouterArch;
  /** File name under the cache's tarball directory. */
  file: string;
  size: number;
  /** Path on the router, once delivered there. */
  routerFile: string;
  createdAt: number;
  lastUsedAt: number;
}

interface IndexDoc {
  entries: CacheEntry[];
}

const indexSchema = {
  required: ['entries'],
  properties: {
    entries: {
      type: 'array',
      items: {
        type: 'object',
        // What load() relies on to match an entry with its tarball.
        required: ['manifestDigest', 'arch', 'file', 'size'],
        properties: { manifestDigest: { type: 'string' }, arch: { type: 'string' }, file: { type: 'string' }, size: { type: 'integer', minimum: 0 } },
      },
    },
  },
};

export const cacheKey = (manifestDigest: string, arch: RouterArch) => `${manifestDigest}|${arch}`;

export class ImageCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly index: JsonStateFile<IndexDoc>;
  readonly tarballDir: string;
  private saving: Promise<void> = Promise.resolve();

  constructor(readonly dir: string) {
    this.index = new JsonStateFile(join(dir, 'index.json'), { version: 1, schema: indexSchema });
    this.tarballDir = join(dir, 'tarballs');
  }

  /** Loads the index, drops entries whose tarball is gone or has the wrong size, removes stray files. */
  async load(): Promise<void> {
    await mkdir(this.tarballDir, { recursive: true });
    await mkdir(this.workDir, { recursive: true });
    const doc = await this.index.loadAsync();
    for (const e of doc?.entries ?? []) {
      const s = await stat(this.path(e)).catch(() => undefined);
      if (s?.isFile() && s.size === e.size) this.entries.set(cacheKey(e.manifestDigest, e.arch), e);
    }
    const known = new Set([...this.entries.values()].map((e) => e.file));
    for (const name of await readdir(this.tarballDir)) if (!known.has(name)) await rm(join(this.tarballDir, name), { force: true });
    await rm(this.workDir, { recursive: true, force: true });
    await mkdir(this.workDir, { recursive: true });
    await this.save();
  }

  /** Scratch space for conversions (emptied on start). */
  get workDir(): string {
    return join(this.dir, 'work');
  }

  fileName(manifestDigest: string, arch: RouterArch): string {
    return `${parseDigest(manifestDigest).hex}-${arch}.tar`;
  }

  path(e: Pick<CacheEntry, 'file'>): string {
    return join(this.tarballDir, e.file);
  }

  get(manifestDigest: string, arch: RouterArch): CacheEntry | undefined {
    return this.entries.get(cacheKey(manifestDigest, arch));
  }

  list(): CacheEntry[] {
    return [...this.entries.values()].sort((a, b) => b.lastUsedAt - a.lastUsedAt);
  }

  async put(e: CacheEntry): Promise<void> {
    this.entries.set(cacheKey(e.manifestDigest, e.arch), e);
    await this.save();
  }

  async update(manifestDigest: string, arch: RouterArch, patch: Partial<Pick<CacheEntry, 'routerFile' | 'lastUsedAt' | 'image'>>): Promise<void> {
    const e = this.get(manifestDigest, arch);
    if (!e) return;
    Object.assign(e, patch);
    await this.save();
  }

  /** Forgets the entry and deletes its tarball. */
  async remove(e: CacheEntry): Promise<void> {
    this.entries.delete(cacheKey(e.manifestDigest, e.arch));
    await this.save();
    await rm(this.path(e), { force: true });
  }

  totalBytes(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.size;
    return n;
  }

  /** Writes are serialised so an older snapshot never overwrites a newer one. */
  private save(): Promise<void> {
    const next = this.saving.then(() => this.index.saveAsync({ entries: this.list() }));
    this.saving = next.catch(() => undefined);
    return next;
  }
}
