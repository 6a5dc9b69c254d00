// Manifests on the filesystem: the exact bytes are a content-addressed blob, each
// repository keeps a revision record (media type, subject) per digest, tags are
// files holding a digest, and a referrers index is kept per subject.
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ManifestError,
  digestOf,
  isDigest,
  parseDigest,
  parseManifest,
  type Descriptor,
} from '@mikrotik-kube/oci';
import { RegistryError } from '../errors';
import type { FsBlobStore } from './blob-store';
import { exists, listDir, writeFileAtomic } from './fs-util';
import type { StoragePaths } from './paths';
import type { ManifestStore, PutManifestOptions, PutManifestResult, StoredManifest } from './types';

export interface RevisionRecord {
  mediaType: string;
  size: number;
  subject?: string;
  artifactType?: string;
  annotations?: Record<string, string>;
  /** Blobs and child manifests this manifest references (for GC). */
  refs: string[];
  children: string[];
}

export class FsManifestStore implements ManifestStore {
  constructor(
    private readonly paths: StoragePaths,
    private readonly blobs: FsBlobStore,
    private readonly maxManifestBytes: number,
  ) {}

  async revision(repo: string, digest: string): Promise<RevisionRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.paths.revision(repo, digest), 'utf8')) as RevisionRecord;
    } catch {
      return undefined;
    }
  }

  async resolve(repo: string, reference: string): Promise<string | undefined> {
    if (isDigest(reference)) return reference;
    try {
      return (await readFile(this.paths.tag(repo, reference), 'utf8')).trim();
    } catch {
      return undefined;
    }
  }

  async get(repo: string, reference: string): Promise<StoredManifest | undefined> {
    const digest = await this.resolve(repo, reference);
    if (!digest) return undefined;
    const rev = await this.revision(repo, digest);
    if (!rev) return undefined;
    try {
      return { digest, mediaType: rev.mediaType, bytes: await readFile(this.paths.blob(digest)) };
    } catch {
      return undefined;
    }
  }

  /**
   * Validates and stores a manifest. The pull-through cache passes verifyRefs=false:
   * it stores an upstream manifest before fetching the blobs, which come on demand.
   */
  async put(
    repo: string,
    bytes: Buffer,
    contentType: string | undefined,
    tags: string[],
    opts: PutManifestOptions = {},
  ): Promise<PutManifestResult> {
    if (bytes.length > this.maxManifestBytes) {
      throw new RegistryError('MANIFEST_INVALID', `manifest is ${bytes.length} bytes, the limit is ${this.maxManifestBytes}`, { status: 413 });
    }
    let parsed;
    try {
      parsed = parseManifest(bytes, contentType);
    } catch (err) {
      if (err instanceof ManifestError) throw new RegistryError('MANIFEST_INVALID', err.message);
      throw err;
    }
    const missing: string[] = [];
    for (const b of opts.verifyRefs === false ? [] : parsed.blobs) {
      if ((await this.blobs.stat(repo, b.digest)) === undefined) missing.push(b.digest);
    }
    for (const c of opts.verifyRefs === false ? [] : parsed.children) {
      if (!(await this.revision(repo, c.digest))) missing.push(c.digest);
    }
    if (missing.length) {
      throw new RegistryError('MANIFEST_BLOB_UNKNOWN', `manifest references unknown content: ${missing.join(', ')}`, {
        detail: { missing },
      });
    }
    const digest = digestOf(bytes, opts.algorithm);
    await writeFileAtomic(this.paths.blob(digest), bytes);
    await this.blobs.link(repo, digest);
    const annotations = (parsed.manifest as { annotations?: Record<string, string> }).annotations;
    const record: RevisionRecord = {
      mediaType: parsed.mediaType,
      size: bytes.length,
      ...(parsed.subject ? { subject: parsed.subject.digest } : {}),
      ...(parsed.artifactType ? { artifactType: parsed.artifactType } : {}),
      ...(annotations ? { annotations } : {}),
      refs: parsed.blobs.map((b) => b.digest),
      children: parsed.children.map((c) => c.digest),
    };
    await writeFileAtomic(this.paths.revision(repo, digest), JSON.stringify(record));
    if (parsed.subject) {
      const desc: Descriptor = {
        mediaType: parsed.mediaType,
        digest,
        size: bytes.length,
        ...(parsed.artifactType ? { artifactType: parsed.artifactType } : {}),
        ...(annotations ? { annotations } : {}),
      };
      await writeFileAtomic(this.paths.referrer(repo, parsed.subject.digest, digest), JSON.stringify(desc));
    }
    for (const tag of tags) await writeFileAtomic(this.paths.tag(repo, tag), digest);
    return { digest, ...(parsed.subject ? { subject: parsed.subject.digest } : {}) };
  }

  async delete(repo: string, reference: string): Promise<boolean> {
    if (!isDigest(reference)) {
      const tagPath = this.paths.tag(repo, reference);
      if (!(await exists(tagPath))) return false;
      await rm(tagPath, { force: true });
      return true;
    }
    const rev = await this.revision(repo, reference);
    if (!rev) return false;
    for (const tag of await listDir(this.paths.tagsDir(repo))) {
      if ((await this.resolve(repo, tag)) === reference) await rm(this.paths.tag(repo, tag), { force: true });
    }
    if (rev.subject) await rm(this.paths.referrer(repo, rev.subject, reference), { force: true });
    await rm(this.paths.revision(repo, reference), { force: true });
    await this.blobs.delete(repo, reference);
    return true;
  }

  /** Points `tag` at `digest` (rewriting it also restarts its pull-through TTL). */
  async retag(repo: string, tag: string, digest: string): Promise<void> {
    await writeFileAtomic(this.paths.tag(repo, tag), digest);
  }

  /** Milliseconds since the tag was last written (pull-through freshness), or undefined. */
  async tagAge(repo: string, tag: string, now = Date.now()): Promise<number | undefined> {
    try {
      return now - (await stat(this.paths.tag(repo, tag))).mtimeMs;
    } catch {
      return undefined;
    }
  }

  async tags(repo: string): Promise<string[] | undefined> {
    if (!(await exists(this.paths.repo(repo)))) return undefined;
    const tags = (await listDir(this.paths.tagsDir(repo))).filter((t) => !t.startsWith('.'));
    return tags.sort();
  }

  async referrers(repo: string, digest: string): Promise<Descriptor[]> {
    parseDigest(digest);
    const dir = this.paths.referrersDir(repo, digest);
    const out: Descriptor[] = [];
    for (const f of await listDir(dir)) {
      if (f.startsWith('.')) continue;
      try {
        out.push(JSON.parse(await readFile(join(dir, f), 'utf8')) as Descriptor);
      } catch {
        // a referrer deleted while listing is simply absent
      }
    }
    return out;
  }

  /** Every repository: a directory with a _manifests or _layers child. */
  async repositories(): Promise<string[]> {
    const root = this.paths.repositoriesDir();
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      const entries = await listDir(rel ? join(root, rel) : root);
      if (entries.includes('_manifests') || entries.includes('_layers')) out.push(rel);
      for (const e of entries) {
        if (!e.startsWith('_') && !e.startsWith('.')) await walk(rel ? `${rel}/${e}` : e);
      }
    };
    await walk('');
    return out.sort();
  }

  /** Revisions of a repository (for garbage collection). */
  async revisions(repo: string): Promise<string[]> {
    const dir = this.paths.revisionsDir(repo);
    const out: string[] = [];
    for (const alg of await listDir(dir)) {
      for (const hex of await listDir(join(dir, alg))) if (!hex.startsWith('.')) out.push(`${alg}:${hex}`);
    }
    return out;
  }
}
