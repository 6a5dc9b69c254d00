// Typed views of parsed `/disk` and `/disk/btrfs/subvolume` rows.
import type { PrintRecord } from './parse';
import { parseBool, parseGroupedInt, parseSize } from './values';

export interface Volume {
  slot: string;
  type: string;
  /** Backing file, absolute ("/storage-pool/metal-csi/pvc-1.img"). */
  filePath?: string;
  sizeBytes?: number;
  nvmeExport: boolean;
  nvmePort?: number;
  /** Exported NQN: the configured one (7.21+) or, before 7.21, the slot name. */
  nqn?: string;
  comment?: string;
  flags: string[];
}

export interface Capacity {
  totalBytes: number;
  freeBytes: number;
  usedBytes: number;
  /** The disk's file system ("btrfs" on an RDS storage pool), when it prints one. */
  fs?: string;
}

export interface Subvolume {
  name: string;
  fs?: string;
  parent?: string;
  readOnly: boolean;
  snapshot: boolean;
  flags: string[];
}

const absolute = (p: string) => (p.startsWith('/') ? p : `/${p}`);

export function toVolume(r: PrintRecord, serverNqn: boolean): Volume {
  const p = r.props;
  const slot = p.slot ?? '';
  const nvmeExport = parseBool(p['nvme-tcp-export']) ?? r.flags.includes('nvme-tcp-export');
  const v: Volume = { slot, type: p.type ?? '', nvmeExport, flags: r.flags };
  const filePath = p['file-path'];
  if (filePath) v.filePath = absolute(filePath);
  // `size` is exact; `file-size` is rounded for display, so only a fallback.
  const size = parseGroupedInt(p.size) ?? parseSize(p['file-size']);
  if (size !== undefined) v.sizeBytes = size;
  const port = parseGroupedInt(p['nvme-tcp-server-port']);
  if (port !== undefined) v.nvmePort = port;
  const nqn = p['nvme-tcp-server-nqn'];
  if (nqn) v.nqn = nqn;
  else if (nvmeExport && !serverNqn) v.nqn = slot;
  if (r.comment !== undefined) v.comment = r.comment;
  return v;
}

export function toSubvolume(r: PrintRecord): Subvolume {
  const p = r.props;
  const s: Subvolume = {
    name: p.name ?? '',
    readOnly: parseBool(p['read-only']) ?? r.flags.includes('read-only'),
    snapshot: r.flags.includes('snapshot'),
    flags: r.flags,
  };
  if (p.fs) s.fs = p.fs;
  if (p.parent) s.parent = p.parent;
  return s;
}
