// Where everything lives under the storage root. Names and digests are validated
// before they get here (the spec's grammars admit no `..`, no leading `_` or `.`),
// and every path is checked to stay under the root as a second line of defence.
import { join, resolve, sep } from 'node:path';
import { parseDigest } from '@mikrotik-kube/oci';

export class StoragePaths {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private under(...parts: string[]): string {
    const p = resolve(this.root, ...parts);
    if (p !== this.root && !p.startsWith(this.root + sep)) throw new Error(`path escapes the storage root: ${p}`);
    return p;
  }

  blobsDir(): string {
    return this.under('blobs');
  }

  blob(digest: string): string {
    const d = parseDigest(digest);
    return this.under('blobs', d.algorithm, d.hex.slice(0, 2), d.hex);
  }

  repositoriesDir(): string {
    return this.under('repositories');
  }

  repo(name: string): string {
    return this.under('repositories', name);
  }

  layerLink(name: string, digest: string): string {
    const d = parseDigest(digest);
    return this.under('repositories', name, '_layers', d.algorithm, d.hex);
  }

  layersDir(name: string): string {
    return this.under('repositories', name, '_layers');
  }

  revision(name: string, digest: string): string {
    const d = parseDigest(digest);
    return this.under('repositories', name, '_manifests', 'revisions', d.algorithm, d.hex);
  }

  revisionsDir(name: string): string {
    return this.under('repositories', name, '_manifests', 'revisions');
  }

  tagsDir(name: string): string {
    return this.under('repositories', name, '_manifests', 'tags');
  }

  tag(name: string, tag: string): string {
    return join(this.tagsDir(name), tag);
  }

  referrersDir(name: string, subject: string): string {
    const d = parseDigest(subject);
    return this.under('repositories', name, '_referrers', d.algorithm, d.hex);
  }

  referrer(name: string, subject: string, digest: string): string {
    const d = parseDigest(digest);
    return join(this.referrersDir(name, subject), `${d.algorithm}-${d.hex}`);
  }

  uploadsDir(): string {
    return this.under('uploads');
  }

  upload(id: string): string {
    if (!/^[a-f0-9-]{36}$/.test(id)) throw new Error(`invalid upload id ${id}`);
    return this.under('uploads', id);
  }

  tmpDir(): string {
    return this.under('tmp');
  }
}
