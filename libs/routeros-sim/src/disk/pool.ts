// The storage pool volumes live on (RDS: a btrfs RAID mounted as `storage-pool`). Its size is
// an option; used space is the logical size of every file under it (sparse backing files
// count at their full size, orphans included), so `free` and `not enough space` are exact.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FileStore } from '../files/store';
import type { Menu } from '../state/store';

export interface PoolOptions {
  slot: string;
  sizeBytes: number;
}

export class Pool {
  constructor(
    readonly opts: PoolOptions,
    private readonly files: FileStore,
    private readonly disks: Menu,
  ) {}

  /** Adds the pool disk on a fresh router and creates its directory. */
  ensure(): void {
    this.files.mkdir(this.opts.slot);
    if (!this.disks.rows().some((r) => r['slot'] === this.opts.slot)) {
      this.disks.insert({
        type: 'raid',
        slot: this.opts.slot,
        'slot-default': '',
        parent: 'none',
        'raid-type': '1',
        fs: 'btrfs',
        'mount-point': this.opts.slot,
        model: '',
        size: String(this.opts.sizeBytes),
        free: String(this.opts.sizeBytes),
        'nvme-tcp-export': 'false',
        disabled: 'false',
      });
    }
    this.refresh();
  }

  /** True when `path` ("/storage-pool/x.img" or "storage-pool/x.img") is on the pool. */
  holds(path: string): boolean {
    return path.replace(/^\/+/, '').startsWith(`${this.opts.slot}/`);
  }

  used(): number {
    let total = 0;
    const walk = (dir: string) => {
      for (const d of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, d.name);
        if (d.isDirectory()) walk(p);
        else if (d.isFile()) total += statSync(p).size;
      }
    };
    walk(this.files.resolve(this.opts.slot));
    return total;
  }

  free(): number {
    return Math.max(0, this.opts.sizeBytes - this.used());
  }

  /** Writes the current free space into the pool's `/disk` row. */
  refresh(): void {
    const row = this.disks.rows().find((r) => r['slot'] === this.opts.slot);
    const free = String(this.free());
    if (row && (row['free'] !== free || row['size'] !== String(this.opts.sizeBytes))) {
      this.disks.update(row['.id'] as string, { free, size: String(this.opts.sizeBytes) });
    }
  }
}
