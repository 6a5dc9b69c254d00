// /file over the real file store (docs/routeros.md "Files"). Rows mirror the files on disk;
// a scan before each access keeps ids stable for files that stay and drops vanished ones.
import { closeSync, openSync, readSync, readFileSync } from 'node:fs';
import { badRequest, invalidValue, notFound } from '../state/errors';
import type { MenuContext, MenuSpec } from '../state/menu-spec';
import type { Row } from '../state/values';
import type { FileStore } from '../files/store';
import { rosTime } from './system';

const CONTENTS_LIMIT = 60 * 1024;
const READ_CHUNK_MAX = 32768;

function fileType(name: string, isDir: boolean, disks: Set<string>): string {
  if (isDir) return disks.has(name) ? 'disk' : 'directory';
  const dot = name.lastIndexOf('.');
  return dot > name.lastIndexOf('/') && dot >= 0 ? `.${name.slice(dot + 1)} file` : 'file';
}

/** Brings the `/file` rows in line with the files on disk. */
export function syncFiles(ctx: MenuContext, store: FileStore): void {
  const menu = ctx.state.menu('file');
  const disks = new Set(ctx.state.menu('disk').rows().map((r) => r['slot'] ?? ''));
  for (const d of disks) if (d && !store.exists(d) && /^[\w-]+$/.test(d)) store.mkdir(d);
  const entries = store.list();
  const byName = new Map(menu.rows().map((r) => [r['name'], r]));
  const seen = new Set<string>();
  for (const e of entries) {
    seen.add(e.name);
    const fields: Row = { name: e.name, type: fileType(e.name, e.type === 'directory', disks), 'last-modified': rosTime(e.mtime) };
    if (e.type === 'file') fields['size'] = String(e.size);
    const row = byName.get(e.name);
    if (!row) menu.insert(fields);
    else if (Object.entries(fields).some(([k, v]) => row[k] !== v)) menu.update(row['.id'] as string, fields);
  }
  for (const r of [...menu.rows()]) if (!seen.has(r['name'] ?? '')) menu.drop(r['.id'] as string);
}

export function fileMenu(store: FileStore): MenuSpec {
  return {
    path: 'file',
    nameField: 'name',
    unique: ['name'],
    args: () => ['name', 'type', 'contents'],
    required: () => ['name'],
    hooks: {
      validateAdd: (a) => {
        const type = a['type'] ?? 'file';
        if (type !== 'file' && type !== 'directory') throw invalidValue('type');
        if (store.exists(a['name'] ?? '')) throw badRequest('failure: file already exists');
        if (type === 'directory') store.mkdir(a['name'] ?? '');
        else store.writeText(a['name'] ?? '', a['contents'] ?? '');
        const s = store.stat(a['name'] ?? '');
        return { type: type === 'directory' ? 'directory' : fileType(a['name'] ?? '', false, new Set()), size: String(s?.size ?? 0), 'last-modified': rosTime(), contents: '' };
      },
      validateSet: (row, a) => {
        if (a['name'] !== undefined && a['name'] !== row['name']) throw badRequest('failure: can not rename');
        if (a['contents'] !== undefined) {
          if (row['type'] === 'directory' || row['type'] === 'disk') throw badRequest('failure: not a file');
          store.writeText(row['name'] ?? '', a['contents']);
        }
        return { contents: '', size: String(store.stat(row['name'] ?? '')?.size ?? 0), 'last-modified': rosTime() };
      },
      validateRemove: (row) => {
        if (row['type'] === 'disk') throw badRequest('failure: can not remove disk');
        store.remove(row['name'] ?? '');
      },
    },
    // `contents` is shown only for small text-sized files, like the console's `get`, and by a
    // list only when its `.proplist` asks for it (a container root holds thousands of files).
    render: (row) => {
      const { contents: _c, ...rest } = row;
      return rest;
    },
    onDemand: {
      fields: ['contents'],
      render: (row): Row => {
        if (row['type'] === 'directory' || row['type'] === 'disk' || Number(row['size'] ?? '0') > CONTENTS_LIMIT) return {};
        try {
          return { contents: readText(store, row['name'] ?? '') };
        } catch {
          return {};
        }
      },
    },
    commands: {
      read: (args) => {
        const name = String(args['file'] ?? '');
        const offset = Number(args['offset'] ?? 0);
        const chunk = Number(args['chunk-size'] ?? READ_CHUNK_MAX);
        if (!name) throw badRequest('missing =file=');
        if (!Number.isInteger(chunk) || chunk < 1 || chunk > READ_CHUNK_MAX) throw badRequest('value of chunk-size out of range (1..32768)');
        const s = store.stat(name);
        if (!s || s.type !== 'file') throw notFound();
        if (!Number.isInteger(offset) || offset < 0 || offset > s.size) throw badRequest('failure: chunk out of file bounds');
        return [{ data: readRange(store, name, offset, chunk) }];
      },
    },
  };
}

function readText(store: FileStore, name: string): string {
  return readFileSync(store.resolve(name), 'latin1');
}

function readRange(store: FileStore, name: string, offset: number, len: number): string {
  const fd = openSync(store.resolve(name), 'r');
  try {
    const buf = Buffer.alloc(len);
    const n = readSync(fd, buf, 0, len, offset);
    return buf.subarray(0, n).toString('latin1');
  } finally {
    closeSync(fd);
  }
}
