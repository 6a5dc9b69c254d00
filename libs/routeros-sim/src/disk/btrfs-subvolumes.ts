// `/disk/btrfs/subvolume` (docs/routeros.md "ROSE Data Server disks"): a subvolume is a directory under its
// file system's mount point; a snapshot (`parent=`, usually `read-only=yes`) is a copy of the
// parent's tree that shares extents where the host file system can reflink. When the simulator's
// file store is itself on btrfs (a test mounts a loop btrfs there), they are real btrfs
// subvolumes and snapshots (`btrfs subvolume create|snapshot [-r]|delete`), as on the RDS.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FileStore } from '../files/store';
import { badRequest, noSuchItem } from '../state/errors';
import type { MenuSpec } from '../state/menu-spec';
import type { Row } from '../state/values';
import { rosTime } from '../menus/system';
import { DISK_MENU } from '../menus/disk';

export const SUBVOLUME_MENU = 'disk/btrfs/subvolume';

const dirOf = (row: Row) => `${row['fs']}/${row['name']}`;

const BTRFS_MAGIC = 0x9123683e;
const onBtrfs = (dir: string) => statfsSync(dir).type === BTRFS_MAGIC;
/** A btrfs subvolume's root directory is always inode 256. */
const isSubvolume = (dir: string) => onBtrfs(dir) && statSync(dir).ino === 256;
const btrfs = (...args: string[]) => execFileSync('btrfs', ['-q', 'subvolume', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });

export function subvolumeMenu(files: FileStore): MenuSpec {
  let nextId = 256;
  return {
    path: SUBVOLUME_MENU,
    nameField: 'name',
    unique: ['name'],
    duplicateDetail: 'failure: subvolume already exists',
    args: () => ['fs', 'name', 'parent', 'read-only', 'comment'],
    required: () => ['fs', 'name'],
    booleans: ['read-only'],
    hooks: {
      validateAdd(args, ctx): Row {
        const fs = ctx.state.menu(DISK_MENU).rows().find((r) => r['slot'] === args['fs'] && r['fs'] === 'btrfs');
        if (!fs) throw noSuchItem('fs');
        const name = args['name'] as string;
        if (ctx.state.menu(SUBVOLUME_MENU).rows().some((r) => r['name'] === name)) throw badRequest('failure: subvolume already exists');
        files.resolve(`${args['fs']}/${name}`); // refuses traversal
        if (files.exists(`${args['fs']}/${name}`)) throw badRequest('failure: file or directory already exists');
        const parent = args['parent'];
        if (parent) {
          const p = ctx.state.menu(SUBVOLUME_MENU).rows().find((r) => r['name'] === parent && r['fs'] === args['fs']);
          if (!p) throw noSuchItem('parent');
        }
        const ids = ctx.state.menu(SUBVOLUME_MENU).rows().map((r) => Number(r['subvolume-id'] ?? 0));
        nextId = Math.max(nextId, ...ids.map((n) => n + 1));
        return {
          parent: parent ?? '',
          'read-only': args['read-only'] ?? 'false',
          fullname: `${args['fs']}/${name}`,
          'subvolume-id': String(nextId++),
          'top-level': '5',
          uuid: randomUUID(),
          'creation-time': rosTime(),
        };
      },
      afterAdd(row) {
        const dst = files.resolve(dirOf(row));
        mkdirSync(dirname(dst), { recursive: true });
        const real = onBtrfs(dirname(dst));
        if (row['parent']) {
          const src = files.resolve(`${row['fs']}/${row['parent']}`);
          mkdirSync(src, { recursive: true });
          if (real && isSubvolume(src)) btrfs('snapshot', ...(row['read-only'] === 'true' ? ['-r'] : []), src, dst);
          else execFileSync('cp', ['-a', '--reflink=auto', '--sparse=always', '-T', '--', src, dst]);
        } else if (real) {
          btrfs('create', dst);
        } else {
          mkdirSync(dst, { recursive: true });
        }
      },
      afterRemove(row) {
        const dir = files.resolve(dirOf(row));
        // A read-only snapshot cannot be emptied file by file.
        if (existsSync(dir) && isSubvolume(dir)) btrfs('delete', dir);
        else rmSync(dir, { recursive: true, force: true });
      },
    },
  };
}
