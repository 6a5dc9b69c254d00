// How the console shows a menu's rows (docs/routeros.md "Console over SSH"): field order,
// which values are string-typed (printed quoted in `detail`), flag letters and legend,
// human renderings (space-grouped numbers, `50.0GiB` sizes, yes/no booleans), table columns.
import type { Row } from '../state/values';

export interface FlagDef {
  letter: string;
  name: string;
  on(row: Row): boolean;
}

export interface MenuView {
  order: readonly string[];
  /** String-typed properties: quoted in `detail`. */
  quoted: ReadonlySet<string>;
  flags: readonly FlagDef[];
  render: Readonly<Record<string, (v: string) => string>>;
  /** Table view columns (plain `print`). */
  columns: readonly string[];
  /** Fields the console does not print (internal or REST-only). */
  hidden?: ReadonlySet<string>;
}

/** `53687091200` → `53 687 091 200`. */
export function groupDigits(v: string): string {
  return /^\d+$/.test(v) ? v.replace(/\B(?=(\d{3})+(?!\d))/g, ' ') : v;
}

/** Bytes → `50.0GiB` (one decimal, binary units), as `/disk` shows `file-size`. */
export function humanSize(v: string): string {
  if (!/^\d+$/.test(v)) return v;
  let n = Number(v);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return u === 0 ? v : `${n.toFixed(1)}${units[u]}`;
}

const bool = (v: string) => (v === 'true' ? 'yes' : v === 'false' ? 'no' : v);
const isTrue = (f: string) => (r: Row) => r[f] === 'true';

const DISK_FLAGS: FlagDef[] = [
  { letter: 'X', name: 'DISABLED', on: isTrue('disabled') },
  { letter: 'E', name: 'EMPTY', on: (r) => r['type'] === 'hardware' && !r['size'] },
  { letter: 'B', name: 'BLOCK-DEVICE', on: (r) => ['file', 'hardware', 'raid', 'partition', 'ramdisk', 'nvme-tcp'].includes(r['type'] ?? '') },
  { letter: 'M', name: 'MOUNTED', on: (r) => !!r['mount-point'] },
  { letter: 'F', name: 'FORMATTING', on: () => false },
  { letter: 'S', name: 'SWAP-ENABLED', on: isTrue('swap') },
  { letter: 'r', name: 'RAID-MEMBER', on: (r) => !!r['raid-master'] && r['raid-master'] !== 'none' },
  { letter: 't', name: 'NVME-TCP-EXPORT', on: isTrue('nvme-tcp-export') },
  { letter: 'i', name: 'ISCSI-EXPORT', on: isTrue('iscsi-export') },
  { letter: 's', name: 'SMB-SHARING', on: isTrue('smb-sharing') },
  { letter: 'n', name: 'NFS-SHARING', on: isTrue('nfs-sharing') },
  { letter: 'm', name: 'MEDIA-SHARING', on: isTrue('media-sharing') },
];

const BOOLEAN_RENDER = Object.fromEntries(
  ['disabled', 'nvme-tcp-export', 'iscsi-export', 'swap', 'mount-read-only', 'mount-filesystem', 'compress', 'smb-sharing', 'nfs-sharing', 'media-sharing', 'read-only'].map((f) => [f, bool]),
);

export const VIEWS: Record<string, MenuView> = {
  disk: {
    // Field order of the file-disk detail captured on RDS hardware (rds-csi's pkg/rds/commands_test.go).
    order: [
      'type', 'slot', 'slot-default', 'parent', 'fs', 'model', 'serial', 'size', 'free', 'mount-point', 'mount-filesystem', 'mount-read-only',
      'compress', 'sector-size', 'raid-master', 'nvme-tcp-export', 'nvme-tcp-server-port', 'nvme-tcp-server-nqn',
      'nvme-tcp-server-allow-host-name', 'iscsi-export', 'nfs-sharing', 'smb-sharing', 'media-sharing', 'media-interface', 'swap',
      'file-path', 'file-size', 'file-offset',
    ],
    quoted: new Set(['slot', 'slot-default', 'parent', 'model', 'serial', 'label', 'nvme-tcp-server-nqn', 'nvme-tcp-server-allow-host-name', 'nvme-tcp-server-password', 'comment']),
    flags: DISK_FLAGS,
    render: { ...BOOLEAN_RENDER, size: groupDigits, free: groupDigits, 'file-offset': groupDigits, 'file-size': humanSize },
    columns: ['slot', 'type', 'model', 'size', 'free', 'file-path'],
    hidden: new Set(['comment', 'copy-from']),
  },
  'disk/btrfs/subvolume': {
    order: ['fs', 'name', 'parent', 'fullname', 'read-only', 'top-level', 'subvolume-id', 'uuid', 'creation-time'],
    quoted: new Set(['fs', 'name', 'parent', 'fullname', 'comment']),
    flags: [
      { letter: '*', name: 'DEFAULT', on: isTrue('default') },
      { letter: 'S', name: 'SNAPSHOT', on: (r) => !!r['parent'] },
      { letter: 'r', name: 'READ-ONLY', on: isTrue('read-only') },
      { letter: 'M', name: 'MOUNTED', on: () => true },
    ],
    render: { ...BOOLEAN_RENDER, 'subvolume-id': groupDigits },
    columns: ['fs', 'name', 'parent', 'read-only'],
    hidden: new Set(['comment', 'default']),
  },
  'user/ssh-keys': {
    order: ['user', 'key-type', 'key-owner'],
    quoted: new Set(['user', 'key-owner']),
    flags: [],
    render: {},
    columns: ['user', 'key-type', 'key-owner'],
  },
  file: {
    order: ['name', 'type', 'size', 'last-modified', 'contents'],
    quoted: new Set(['name', 'contents']),
    flags: [],
    render: { size: groupDigits },
    columns: ['name', 'type', 'size', 'last-modified'],
    hidden: new Set(['contents']),
  },
};


/** Settings-style menus print `key: value`; these render RouterOS units. */
export const SETTINGS_RENDER: Record<string, Record<string, (v: string) => string>> = {
  'system/resource': {
    'free-memory': humanSize,
    'total-memory': humanSize,
    'free-hdd-space': humanSize,
    'total-hdd-space': humanSize,
    'cpu-load': (v) => `${v}%`,
    'cpu-frequency': (v) => `${v}MHz`,
  },
};

export const DEFAULT_VIEW: MenuView = { order: ['name'], quoted: new Set(['name', 'comment']), flags: [], render: BOOLEAN_RENDER, columns: ['name'] };

export const viewFor = (menu: string): MenuView => VIEWS[menu] ?? DEFAULT_VIEW;
