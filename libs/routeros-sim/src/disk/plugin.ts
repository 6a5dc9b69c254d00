// The disk module as a simulator plugin: file-disk semantics on `/disk` (shared by REST and
// SSH), the storage pool with capacity accounting, and `/disk/btrfs/subvolume`.
import { DISK_MENU } from '../menus/disk';
import type { SimPlugin } from '../plugin';
import { subvolumeMenu } from './btrfs-subvolumes';
import { fileDiskHooks } from './file-disks';
import { Pool } from './pool';

export interface DiskPluginOptions {
  /** Slot and mount point of the volume pool (RDS: `storage-pool`). */
  poolSlot?: string;
  /** Pool size; default 1 TiB. */
  poolBytes?: number;
}

export function diskPlugin(o: DiskPluginOptions = {}): SimPlugin & { pool(): Pool } {
  let pool: Pool | undefined;
  return {
    name: 'disk',
    pool: () => {
      if (!pool) throw new Error('disk plugin not set up');
      return pool;
    },
    setup(ctx) {
      const p = new Pool({ slot: o.poolSlot ?? 'storage-pool', sizeBytes: o.poolBytes ?? 1024 ** 4 }, ctx.files, ctx.state.menu(DISK_MENU));
      pool = p;
      p.ensure();
      ctx.state.setHooks(DISK_MENU, fileDiskHooks({ files: ctx.files, pool: p, full: () => ctx.faults.diskFull >= 1 }));
      ctx.state.register(subvolumeMenu(ctx.files));
      // Files written or removed through `/file` (either face) change the pool's free space.
      ctx.state.onChange((e) => {
        if (e.menu === 'file') p.refresh();
      });
    },
  };
}
