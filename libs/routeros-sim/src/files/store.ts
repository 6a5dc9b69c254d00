// The router's files as real files under <dataDir>/files. Names are RouterOS paths
// (`disk1/images/app.tar`); anything that could leave the root is refused.
import { createWriteStream, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { badRequest } from '../state/errors';

export interface FileEntry {
  name: string;
  type: 'directory' | 'file';
  size: number;
  mtime: Date;
}

export class FileStore {
  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  /** Maps a RouterOS path to a real path; refuses traversal, absolute paths and NULs. */
  resolve(name: string): string {
    const clean = name.replace(/^\/+/, '').replace(/\/+$/, '');
    if (clean === '' || clean.includes('\0') || clean.split('/').some((s) => s === '..' || s === '.' || s === '')) {
      throw badRequest('invalid value for argument name');
    }
    const full = join(this.root, clean);
    if (relative(this.root, full).startsWith('..')) throw badRequest('invalid value for argument name');
    return full;
  }

  exists(name: string): boolean {
    try {
      return existsSync(this.resolve(name));
    } catch {
      return false;
    }
  }

  stat(name: string): FileEntry | undefined {
    const p = this.resolve(name);
    if (!existsSync(p)) return undefined;
    const s = statSync(p);
    return { name, type: s.isDirectory() ? 'directory' : 'file', size: s.isDirectory() ? 0 : s.size, mtime: s.mtime };
  }

  /** Every file and directory, depth first, as RouterOS paths. */
  list(): FileEntry[] {
    const out: FileEntry[] = [];
    const walk = (dir: string) => {
      for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        if (d.name.endsWith('.sim-partial')) continue;
        const full = join(dir, d.name);
        const name = relative(this.root, full).split(sep).join('/');
        // lstat: a container's root-dir holds symlinks that may dangle or point anywhere.
        const s = lstatSync(full);
        out.push({ name, type: d.isDirectory() ? 'directory' : 'file', size: d.isDirectory() ? 0 : s.size, mtime: s.mtime });
        if (d.isDirectory()) walk(full);
      }
    };
    walk(this.root);
    return out;
  }

  mkdir(name: string): void {
    mkdirSync(this.resolve(name), { recursive: true });
  }

  writeText(name: string, contents: string): void {
    const p = this.resolve(name);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, contents);
  }

  /** Streams into a temp file and renames, so a half download never shows as the file. */
  async writeStream(name: string, body: Readable, maxBytes: number): Promise<number> {
    const p = this.resolve(name);
    mkdirSync(dirname(p), { recursive: true });
    const tmp = `${p}.sim-partial`;
    let n = 0;
    body.on('data', (c: Buffer) => {
      n += c.length;
      if (n > maxBytes) body.destroy(badRequest('failure: not enough disk space'));
    });
    try {
      await pipeline(body, createWriteStream(tmp));
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    renameSync(tmp, p);
    return n;
  }

  /** Removes a file or an empty directory (RouterOS refuses non-empty trees). */
  remove(name: string): void {
    const p = this.resolve(name);
    const s = statSync(p, { throwIfNoEntry: false });
    if (!s) return;
    if (s.isDirectory()) {
      if (readdirSync(p).length > 0) throw badRequest('failure: directory is not empty');
      rmdirSync(p);
    } else rmSync(p);
  }

  space(): { free: number; total: number } {
    const s = statfsSync(this.root);
    return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
  }
}
