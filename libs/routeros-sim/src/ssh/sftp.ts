// The router's SFTP subsystem (uploads like `scp x.npk admin@router:/`, docs/routeros.md
// "Files"): files land in the simulated file store, uploads appear only once closed (a
// half-written file is never listed), and paths that would leave the store are refused.
import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import ssh2, { type SFTPWrapper } from 'ssh2';
import type { SimContext } from '../plugin';

const { OPEN_MODE, STATUS_CODE } = ssh2.utils.sftp;

interface Open {
  fd: number;
  /** Set for uploads: the temp file is renamed here on close. */
  finalPath?: string;
  tmpPath?: string;
}

function attrsOf(s: { mode: number; size: number; atimeMs: number; mtimeMs: number }) {
  return { mode: s.mode, size: s.size, uid: 0, gid: 0, atime: Math.floor(s.atimeMs / 1000), mtime: Math.floor(s.mtimeMs / 1000) };
}

export function serveSftp(ctx: SimContext, sftp: SFTPWrapper, user: string): void {
  const handles = new Map<number, Open>();
  let next = 1;
  const resolve = (p: string): string | undefined => {
    try {
      return ctx.files.resolve(p);
    } catch {
      return undefined;
    }
  };
  const handleOf = (h: Buffer) => (h.length === 4 ? handles.get(h.readUInt32BE(0)) : undefined);

  sftp.on('REALPATH', (id, path) => {
    const clean = `/${path.split('/').filter((s) => s && s !== '.').join('/')}`;
    if (clean.split('/').includes('..')) return sftp.status(id, STATUS_CODE.NO_SUCH_FILE);
    sftp.name(id, [{ filename: clean, longname: clean, attrs: {} as never }]);
  });
  const stat = (id: number, path: string) => {
    const real = resolve(path);
    const s = real ? statSync(real, { throwIfNoEntry: false }) : undefined;
    if (!real || !s || real.endsWith('.sim-partial')) return sftp.status(id, STATUS_CODE.NO_SUCH_FILE);
    sftp.attrs(id, attrsOf(s));
  };
  sftp.on('STAT', stat);
  sftp.on('LSTAT', stat);
  sftp.on('OPEN', (id, filename, flags) => {
    const real = resolve(filename);
    if (!real) return sftp.status(id, STATUS_CODE.PERMISSION_DENIED);
    try {
      let open: Open;
      if (flags & OPEN_MODE.WRITE) {
        mkdirSync(dirname(real), { recursive: true });
        const tmpPath = `${real}.sim-partial`;
        open = { fd: openSync(tmpPath, 'w'), finalPath: real, tmpPath };
      } else open = { fd: openSync(real, 'r') };
      const n = next++;
      handles.set(n, open);
      const h = Buffer.alloc(4);
      h.writeUInt32BE(n, 0);
      sftp.handle(id, h);
    } catch {
      sftp.status(id, STATUS_CODE.NO_SUCH_FILE);
    }
  });
  sftp.on('WRITE', (id, handle, offset, data) => {
    const o = handleOf(handle);
    if (!o?.finalPath) return sftp.status(id, STATUS_CODE.FAILURE);
    if (ctx.files.space().free < data.length) return sftp.status(id, STATUS_CODE.FAILURE, 'not enough disk space');
    writeSync(o.fd, data, 0, data.length, offset);
    sftp.status(id, STATUS_CODE.OK);
  });
  sftp.on('READ', (id, handle, offset, len) => {
    const o = handleOf(handle);
    if (!o || o.finalPath) return sftp.status(id, STATUS_CODE.FAILURE);
    const buf = Buffer.alloc(Math.min(len, 256 * 1024));
    const n = readSync(o.fd, buf, 0, buf.length, offset);
    if (n === 0) return sftp.status(id, STATUS_CODE.EOF);
    sftp.data(id, buf.subarray(0, n));
  });
  sftp.on('FSTAT', (id, handle) => {
    const o = handleOf(handle);
    if (!o) return sftp.status(id, STATUS_CODE.FAILURE);
    sftp.attrs(id, attrsOf(fstatSync(o.fd)));
  });
  sftp.on('CLOSE', (id, handle) => {
    const o = handleOf(handle);
    if (!o) return sftp.status(id, STATUS_CODE.FAILURE);
    handles.delete(handle.readUInt32BE(0));
    closeSync(o.fd);
    if (o.finalPath && o.tmpPath) {
      renameSync(o.tmpPath, o.finalPath);
      ctx.log('system,info', `sftp upload of ${o.finalPath.slice(ctx.files.root.length + 1)} by ${user} finished`);
    }
    sftp.status(id, STATUS_CODE.OK);
  });
  sftp.on('MKDIR', (id, path) => {
    const real = resolve(path);
    if (!real) return sftp.status(id, STATUS_CODE.PERMISSION_DENIED);
    mkdirSync(real, { recursive: true });
    sftp.status(id, STATUS_CODE.OK);
  });
  sftp.on('REMOVE', (id, path) => {
    const real = resolve(path);
    if (!real || !statSync(real, { throwIfNoEntry: false })?.isFile()) return sftp.status(id, STATUS_CODE.NO_SUCH_FILE);
    rmSync(real);
    sftp.status(id, STATUS_CODE.OK);
  });
  for (const op of ['OPENDIR', 'READDIR', 'FSETSTAT', 'SETSTAT', 'RMDIR', 'RENAME', 'READLINK', 'SYMLINK'] as const) {
    sftp.on(op as 'OPENDIR', (id: number) => sftp.status(id, STATUS_CODE.OP_UNSUPPORTED));
  }
  // A dropped connection leaves no partial upload behind.
  sftp.on('close', () => {
    for (const o of handles.values()) {
      closeSync(o.fd);
      if (o.tmpPath) rmSync(o.tmpPath, { force: true });
    }
    handles.clear();
  });
}
