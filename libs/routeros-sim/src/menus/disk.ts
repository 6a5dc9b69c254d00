// /disk as a generic menu over the state store (docs/routeros.md "ROSE Data Server disks"). File-disk
// semantics (backing files, NVMe/TCP export, capacity, btrfs) are plugged in by the disk
// module through `state.setHooks(DISK_MENU, hooks)` so that REST and SSH share one behaviour.
import type { MenuSpec } from '../state/menu-spec';

export const DISK_MENU = 'disk';

const BASE_ARGS = [
  'type', 'slot', 'comment', 'disabled', 'file-path', 'file-size', 'file-offset', 'copy-from', 'compress',
  'mount-filesystem', 'mount-read-only', 'mount-point-template', 'swap', 'label',
  'nvme-tcp-export', 'nvme-tcp-server-port', 'nvme-tcp-server-allow-host-name', 'nvme-tcp-server-password',
  'nvme-tcp-address', 'nvme-tcp-host-name', 'nvme-tcp-password', 'nvme-tcp-port',
  'iscsi-export', 'iscsi-address', 'iscsi-iqn', 'iscsi-port',
  'raid-type', 'raid-device-count', 'raid-chunk-size', 'raid-master', 'raid-role',
  'ramdisk-size', 'tmpfs-max-size', 'smb-sharing', 'nfs-sharing', 'media-sharing',
];

/** `hdd`: the capacity of the simulated storage, reported as `size`/`free` of the mounted disk1 (as `/disk print` does for a mounted disk). */
export const diskMenu = (hdd: () => { free: number; total: number }): MenuSpec => ({
  path: DISK_MENU,
  nameField: 'slot',
  unique: ['slot'],
  duplicateDetail: 'failure: slot already exists',
  booleans: ['disabled', 'nvme-tcp-export', 'iscsi-export', 'swap', 'mount-read-only', 'mount-filesystem', 'compress', 'smb-sharing', 'nfs-sharing', 'media-sharing'],
  args: (p) => [...BASE_ARGS, ...(p.nvmeTcpNqn ? ['nvme-tcp-server-nqn', 'nvme-tcp-nqn'] : ['nvme-tcp-name'])],
  required: () => ['type'],
  defaults: () => ({ disabled: 'false' }),
  // The router's own storage: the slot every `disk1/...` path lives on.
  initial: () => [{ slot: 'disk1', type: 'hardware', 'mount-point': 'disk1', 'fs': 'ext4', model: 'simulated', disabled: 'false' }],
  render: (row) => (row['slot'] === 'disk1' && row['type'] === 'hardware' ? { ...row, size: String(hdd().total), free: String(hdd().free) } : row),
});
