// File-backed disks (`/disk add type=file …`, docs/routeros.md "ROSE Data Server disks"): a real sparse
// backing file per disk (so tests can loop-mount it), copy-on-write clones via `copy-from`,
// grow-only resize, NVMe/TCP export fields, and space checks against the pool. Plugged into
// the `/disk` menu as hooks, so REST and the SSH console behave the same.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, truncateSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FileStore } from '../files/store';
import { badRequest, invalidValue, missingArgument } from '../state/errors';
import type { MenuContext, MenuHooks } from '../state/menu-spec';
import type { Row } from '../state/values';
import type { Pool } from './pool';
import { parseSizeArg } from './size';

const DISK = 'disk';
const noSpace = () => badRequest('failure: not enough space');

export interface FileDiskOptions {
  files: FileStore;
  pool: Pool;
  /** When true every allocation fails with `not enough space` (fault injection). */
  full(): boolean;
}

/** Fields a new file disk shows (order and values of a real RDS disk, as rds-csi's tests captured it). */
function fileDefaults(args: Row, ctx: MenuContext, path: string, size: number): Row {
  const d: Row = {
    'slot-default': '',
    parent: '',
    fs: '-',
    model: path,
    size: String(size),
    'mount-filesystem': 'true',
    'mount-read-only': 'false',
    compress: 'false',
    'sector-size': '512',
    'raid-master': 'none',
    'nvme-tcp-export': 'false',
    'nvme-tcp-server-port': '4420',
    'nvme-tcp-server-allow-host-name': '',
    'iscsi-export': 'false',
    'nfs-sharing': 'false',
    'smb-sharing': 'false',
    'media-sharing': 'false',
    'media-interface': 'none',
    swap: 'false',
    'file-offset': '0',
  };
  if (ctx.profile.nvmeTcpNqn) d['nvme-tcp-server-nqn'] = '';
  // Request values win over defaults; derived values (`size`, `model`, `file-size`) win over both.
  for (const k of Object.keys(args)) delete d[k];
  return { ...d, model: path, size: String(size), 'file-size': String(size) };
}

function autoSlot(ctx: MenuContext): string {
  const used = new Set(ctx.state.menu(DISK).rows().map((r) => r['slot']));
  let n = 1;
  while (used.has(`file${n}`)) n++;
  return `file${n}`;
}

/** Sparse copy, sharing extents where the file system can (btrfs/xfs reflink). */
function cloneFile(src: string, dst: string): void {
  mkdirSync(dirname(dst), { recursive: true });
  execFileSync('cp', ['--sparse=always', '--reflink=auto', '--', src, dst]);
}

/**
 * Refuses an NQN another disk exports under. MikroTik does not document RouterOS's behaviour
 * (docs/routeros.md "Undocumented: our choices"); two disks behind one NQN would let a node
 * attach the wrong volume, so refuse.
 */
function checkNqnFree(ctx: MenuContext, nqn: string | undefined, self?: string): void {
  if (!nqn) return;
  const taken = ctx.state.menu(DISK).rows().some((r) => r['.id'] !== self && r['nvme-tcp-server-nqn'] === nqn);
  if (taken) throw badRequest('failure: already have disk with such nvme-tcp-server-nqn');
}

export function fileDiskHooks(opts: FileDiskOptions): MenuHooks {
  const { files, pool } = opts;

  const checkSpace = (path: string, extra: number) => {
    if (opts.full()) throw noSpace();
    if (pool.holds(path) ? extra > pool.free() : extra > files.space().free) throw noSpace();
  };

  return {
    validateAdd(args, ctx) {
      checkNqnFree(ctx, args['nvme-tcp-server-nqn']);
      if (args['type'] !== 'file') return {};
      const path = args['file-path'];
      if (!path) throw missingArgument('file-path');
      files.resolve(path); // refuses traversal before anything else
      let size: number;
      let source: Row | undefined;
      if (args['copy-from'] !== undefined) {
        const ref = args['copy-from'];
        source = ctx.state.menu(DISK).lookup(ref);
        if (!source || source['type'] !== 'file') throw badRequest(`input does not match any value of copy-from`);
        const srcSize = Number(source['file-size'] ?? 0);
        size = args['file-size'] !== undefined ? parseSizeArg('file-size', args['file-size']) : srcSize;
        if (size < srcSize) throw invalidValue('file-size');
      } else if (args['file-size'] !== undefined) {
        size = parseSizeArg('file-size', args['file-size']);
      } else {
        // Attaching an existing image (`.iso`, a kept backing file) takes its size.
        const existing = files.stat(path);
        if (!existing || existing.type !== 'file') throw badRequest('failure: file does not exist');
        return { ...fileDefaults(args, ctx, path, existing.size), slot: args['slot'] || autoSlot(ctx) };
      }
      if (files.exists(path)) throw badRequest('failure: file already exists');
      checkSpace(path, size);
      return { ...fileDefaults(args, ctx, path, size), slot: args['slot'] || autoSlot(ctx) };
    },

    afterAdd(row, ctx) {
      if (row['type'] !== 'file') return;
      const path = row['file-path'] as string;
      const real = files.resolve(path);
      const size = Number(row['file-size']);
      try {
        if (!files.exists(path)) {
          const src = row['copy-from'] ? ctx.state.menu(DISK).lookup(row['copy-from']) : undefined;
          if (src) cloneFile(files.resolve(src['file-path'] as string), real);
          else {
            mkdirSync(dirname(real), { recursive: true });
            closeSync(openSync(real, 'wx'));
          }
          truncateSync(real, size);
        }
      } catch (e) {
        ctx.state.menu(DISK).drop(row['.id'] as string);
        throw badRequest(`failure: could not create file: ${(e as Error).message}`);
      } finally {
        pool.refresh();
      }
    },

    validateSet(row, args, ctx): Row {
      checkNqnFree(ctx, args['nvme-tcp-server-nqn'], row['.id']);
      if (row['type'] !== 'file') return {};
      for (const k of ['type', 'file-path', 'copy-from']) {
        if (args[k] !== undefined && args[k] !== row[k]) throw badRequest(`failure: can not change ${k}`);
      }
      if (args['file-size'] === undefined) return {};
      const size = parseSizeArg('file-size', args['file-size']);
      const cur = Number(row['file-size']);
      if (size < cur) throw badRequest('failure: can not shrink file');
      if (size > cur) checkSpace(row['file-path'] as string, size - cur);
      return { 'file-size': String(size), size: String(size) };
    },

    afterSet(row, before) {
      if (row['type'] === 'file' && row['file-size'] !== before['file-size']) {
        truncateSync(files.resolve(row['file-path'] as string), Number(row['file-size']));
      }
      pool.refresh();
    },

    // The backing file stays (whether RouterOS deletes it is not documented; rds-csi removes it with
    // `/file remove`), so clients must clean it up themselves, as on the router.
    afterRemove() {
      pool.refresh();
    },
  };
}
