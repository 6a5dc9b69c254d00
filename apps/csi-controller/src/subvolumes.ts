// Volumes in btrfs subvolumes (a target's `btrfsSubvolumes`, when the pool under the volume base
// prints fs=btrfs): a new volume's image is `<base>/<slot>/disk.img`, alone in the subvolume
// `<base without the pool>/<slot>` of the pool's file system, so a snapshot is a read-only btrfs
// snapshot of it and a restore or clone a writable snapshot — `/disk/btrfs/subvolume add
// fs=<pool> parent=<subvolume> [read-only=yes] name=…`, the RouterOS way (docs/routeros.md
// "Btrfs") — instant, sharing every extent. A disk whose image is not alone in a subvolume of its
// own (made before, by the upstream driver, or on a pool that is not btrfs) is copied with
// `copy-from` instead. RouterOS names a file system by its label; an RDS pool's label is its
// mount point (`storage-pool`), the first segment of the volume base.
import { dirname } from 'node:path';
import { filePathFor } from '@mikrotik-kube/csi-common';
import type { Volume } from '@mikrotik-kube/rds-ssh';
import type { Target } from './targets';

export const IMAGE = 'disk.img';

export interface Placement {
  filePath: string;
  /** The subvolume holding the image alone, when there is one. */
  subvolume?: { fs: string; name: string };
}

/**
 * `/storage-pool/metal-csi/pvc-1/disk.img` of disk pvc-1 → fs storage-pool, subvolume
 * metal-csi/pvc-1. Only an image in a directory named after its own disk counts: never a
 * volume base (nor anything else) mistaken for a disk's subvolume.
 */
export function subvolumeOf(filePath: string | undefined, slot: string): Placement['subvolume'] {
  const m = filePath ? /^\/([^/]+)\/(.+)\/([^/]+)\/disk\.img$/.exec(filePath) : null;
  return m?.[1] && m[2] && m[3] === slot ? { fs: m[1], name: `${m[2]}/${slot}` } : undefined;
}

const alone = (dir: string, slot: string): Placement => {
  const filePath = `${dir}/${slot}/${IMAGE}`;
  return { filePath, subvolume: subvolumeOf(filePath, slot) as NonNullable<Placement['subvolume']> };
};

/** Where a new disk `slot` goes under `base`: in a subvolume of its own on a btrfs target, else a plain file. */
export function placement(t: Target, base: string, slot: string, poolFs: string | undefined): Placement {
  return t.btrfsSubvolumes && poolFs === 'btrfs' ? alone(base, slot) : { filePath: filePathFor(base, slot) };
}

/** A new disk `slot` next to disk `v` (a snapshot beside its volume), placed like it. */
export function besides(v: Volume & { filePath: string }, slot: string): Placement {
  return subvolumeOf(v.filePath, v.slot) ? alone(dirname(dirname(v.filePath)), slot) : { filePath: filePathFor(dirname(v.filePath), slot) };
}

/**
 * Removes a disk and what holds its data: the subvolume, or the backing file. With no disk
 * (an earlier delete stopped half-way) it removes what the volume bases would have held for `slot`.
 */
export async function destroyDisk(t: Target, slot: string, v: Volume | undefined): Promise<void> {
  const sub = subvolumeOf(v?.filePath, slot);
  if (v && !sub) {
    await t.rds.deleteVolume(slot, v.filePath);
    return;
  }
  if (v) await t.rds.removeDisk(slot);
  const leftovers = sub ? [sub] : t.btrfsSubvolumes ? t.volumeBases.map((b) => alone(b, slot).subvolume) : [];
  for (const s of leftovers) if (s) await t.rds.deleteSubvolume(s.name);
  if (!v) for (const base of t.volumeBases) await t.rds.removeFile(filePathFor(base, slot));
}
