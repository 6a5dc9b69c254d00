// Unpacks image layers into a container's root-dir the way the router does: layers in order,
// whiteouts (`.wh.name`) and opaque directories (`.wh..wh..opq`) remove what lower layers
// put there, symlinks, hard links, modes, owners and times kept. Nothing may land outside
// the root: absolute or `..` names, and parents that lead out through a symlink, fail the
// layer (RouterOS: `failed to extract layer`) before anything is written.
import { createReadStream, createWriteStream, chmodSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync, utimesSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import tar from 'tar-stream';

export class LayerError extends Error {}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
const MAX_SYMLINKS = 40;

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Splits a layer entry name into clean components; absolute and `..` names are refused. */
export function entryParts(name: string): string[] {
  if (name.startsWith('/')) throw new LayerError(`absolute path ${name}`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new LayerError(`path ${name} leaves the root`);
  if (parts.some((p) => p.includes('\0'))) throw new LayerError('NUL in path');
  return parts;
}

/**
 * The real directory for `parts` inside `root`, following symlinks as the container would see
 * them (absolute targets start at the root) and refusing any that lead out of it. With
 * `create`, missing directories are made (mode 0755, as tar does for implied parents); with
 * `fileLeaf` the last component may be a file (symlinks to it followed the same way).
 */
export function resolveInRoot(root: string, parts: string[], create: boolean, fileLeaf = false): string {
  const todo = [...parts];
  const cur: string[] = [];
  let links = 0;
  while (todo.length) {
    const c = todo.shift() as string;
    if (c === '.' || c === '') continue;
    if (c === '..') {
      if (!cur.length) throw new LayerError('a symlink leads out of the root');
      cur.pop();
      continue;
    }
    const p = join(root, ...cur, c);
    const st = lstatOrUndefined(p);
    if (!st) {
      if (!create) throw new LayerError(`${[...cur, c].join('/')} does not exist`);
      mkdirSync(p, { mode: 0o755 });
      cur.push(c);
    } else if (st.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) throw new LayerError('too many levels of symbolic links');
      const target = readlinkSync(p);
      if (target.startsWith('/')) cur.length = 0;
      todo.unshift(...target.split('/'));
    } else if (st.isDirectory() || (fileLeaf && !todo.length)) cur.push(c);
    else throw new LayerError(`${[...cur, c].join('/')} is not a directory`);
  }
  return join(root, ...cur);
}

async function magicOf(file: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(file, { start: 0, end: 3 })) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function layerStream(file: string): Promise<Readable> {
  const m = await magicOf(file);
  const src = createReadStream(file);
  if (m[0] === 0x1f && m[1] === 0x8b) return src.pipe(zlib.createGunzip());
  if (m.readUInt32LE(0) === 0xfd2fb528) {
    const z = (zlib as unknown as { createZstdDecompress?: () => NodeJS.ReadWriteStream }).createZstdDecompress;
    if (!z) throw new LayerError('zstd layers need a newer Node');
    return src.pipe(z()) as unknown as Readable;
  }
  return src;
}

/** Applies one layer tar (plain, gzip or zstd) from `file` onto `root`. */
export async function applyLayer(root: string, file: string): Promise<void> {
  const written = new Set<string>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    applyEntry(root, header, stream as unknown as Readable, written).then(
      () => next(),
      (e: unknown) => {
        stream.resume();
        next(e as Error);
      },
    );
  });
  try {
    await pipeline(await layerStream(file), extract);
  } catch (e) {
    if (e instanceof LayerError) throw e;
    throw new LayerError((e as Error).message);
  }
}

async function applyEntry(root: string, h: tar.Header, stream: Readable, written: Set<string>): Promise<void> {
  const parts = entryParts(h.name);
  if (!parts.length) {
    stream.resume();
    return; // the root itself
  }
  const base = parts[parts.length - 1] as string;
  const parent = resolveInRoot(root, parts.slice(0, -1), true);
  if (base === OPAQUE) {
    stream.resume();
    for (const child of readdirSync(parent)) {
      const p = join(parent, child);
      if (!written.has(p)) rmSync(p, { recursive: true, force: true });
    }
    return;
  }
  if (base.startsWith(WHITEOUT)) {
    stream.resume();
    const victim = base.slice(WHITEOUT.length);
    if (victim && victim !== '.' && victim !== '..') rmSync(join(parent, victim), { recursive: true, force: true });
    return;
  }
  const full = join(parent, base);
  written.add(full);
  const existing = lstatOrUndefined(full);
  const type = h.type ?? 'file';
  if (existing && !(type === 'directory' && existing.isDirectory())) rmSync(full, { recursive: true, force: true });
  const mode = (h.mode ?? 0o644) & 0o7777;
  const mtime = h.mtime ?? new Date(0);
  switch (type) {
    case 'directory':
      if (!existing?.isDirectory()) mkdirSync(full, { mode: 0o700 });
      stream.resume();
      lchownSync(full, h.uid ?? 0, h.gid ?? 0);
      chmodSync(full, mode);
      return;
    case 'file':
    case 'contiguous-file':
      // `wx`: O_CREAT|O_EXCL never follows a symlink planted at the name.
      await pipeline(stream, createWriteStream(full, { flags: 'wx', mode: 0o600 }));
      lchownSync(full, h.uid ?? 0, h.gid ?? 0);
      chmodSync(full, mode);
      utimesSync(full, mtime, mtime);
      return;
    case 'symlink':
      stream.resume();
      symlinkSync(h.linkname ?? '', full);
      lchownSync(full, h.uid ?? 0, h.gid ?? 0);
      lutimesSync(full, mtime, mtime);
      return;
    case 'link': {
      stream.resume();
      const target = entryParts((h.linkname ?? '').replace(/^\/+/, ''));
      if (!target.length) throw new LayerError(`hard link ${h.name} has no target`);
      const dir = resolveInRoot(root, target.slice(0, -1), false);
      const src = join(dir, target[target.length - 1] as string);
      if (!lstatOrUndefined(src)) throw new LayerError(`hard link target ${h.linkname} does not exist`);
      linkSync(src, full);
      return;
    }
    default:
      // Devices and FIFOs: runc gives the container its /dev; nothing else needs them.
      stream.resume();
  }
}
