import { describe, expect, it } from 'vitest';
import { besides, placement, subvolumeOf } from './subvolumes';
import type { Target } from './targets';

const target = (btrfsSubvolumes: boolean) => ({ btrfsSubvolumes }) as Target;

describe('volume placement in btrfs subvolumes', () => {
  it('finds the subvolume of an image alone in a directory named after its disk, nothing else', () => {
    expect(subvolumeOf('/storage-pool/metal-csi/pvc-1/disk.img', 'pvc-1')).toEqual({ fs: 'storage-pool', name: 'metal-csi/pvc-1' });
    // Never a volume base, nor a plain image, nor another disk's directory.
    expect(subvolumeOf('/storage-pool/metal-csi/disk.img', 'pvc-1')).toBeUndefined();
    expect(subvolumeOf('/storage-pool/metal-csi/pvc-1.img', 'pvc-1')).toBeUndefined();
    expect(subvolumeOf('/storage-pool/metal-csi/pvc-2/disk.img', 'pvc-1')).toBeUndefined();
    expect(subvolumeOf(undefined, 'pvc-1')).toBeUndefined();
  });
  it('puts new volumes in subvolumes only on a btrfs pool of a target that asks for it', () => {
    expect(placement(target(true), '/storage-pool/metal-csi', 'pvc-1', 'btrfs')).toEqual({
      filePath: '/storage-pool/metal-csi/pvc-1/disk.img',
      subvolume: { fs: 'storage-pool', name: 'metal-csi/pvc-1' },
    });
    expect(placement(target(true), '/storage-pool/metal-csi', 'pvc-1', 'ext4')).toEqual({ filePath: '/storage-pool/metal-csi/pvc-1.img' });
    expect(placement(target(false), '/storage-pool/metal-csi', 'pvc-1', 'btrfs')).toEqual({ filePath: '/storage-pool/metal-csi/pvc-1.img' });
  });
  it('puts a snapshot beside its volume, placed like it', () => {
    const v = (filePath: string) => ({ slot: 'pvc-1', type: 'file', filePath, nvmeExport: true, flags: [] });
    expect(besides(v('/storage-pool/metal-csi/pvc-1/disk.img'), 'snap-1')).toEqual({
      filePath: '/storage-pool/metal-csi/snap-1/disk.img',
      subvolume: { fs: 'storage-pool', name: 'metal-csi/snap-1' },
    });
    expect(besides(v('/storage-pool/metal-csi/pvc-1.img'), 'snap-1')).toEqual({ filePath: '/storage-pool/metal-csi/snap-1.img' });
  });
});
