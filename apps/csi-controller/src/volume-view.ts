// Reading our volumes and snapshots out of /disk rows.
import { isSnapshotId } from '@mikrotik-kube/csi-common';
import type { Volume } from '@mikrotik-kube/rds-ssh';
import type { csi } from '@mikrotik-kube/proto';
import { isOurSnapshotComment, isOurVolumeComment, migrationOverdue, parseVolumeMeta } from './disk-meta';

/** A CSI volume of ours: a file disk we made (comment) or the upstream driver made ("pvc-"), under a volume base. */
export function isOurVolume(v: Volume, bases: string[]): boolean {
  if (v.type !== 'file' || isSnapshotId(v.slot) || isOurSnapshotComment(v.comment)) return false;
  if (!v.filePath || !bases.some((b) => v.filePath?.startsWith(`${b}/`))) return false;
  return isOurVolumeComment(v.comment) || v.slot.startsWith('pvc-');
}

export function isOurSnapshot(v: Volume): boolean {
  return v.type === 'file' && isSnapshotId(v.slot) && isOurSnapshotComment(v.comment);
}

export function volumeCondition(v: Volume, now = Date.now()): csi.VolumeCondition {
  const problems: string[] = [];
  const overdue = migrationOverdue(parseVolumeMeta(v.comment), now);
  if (overdue) problems.push(overdue);
  if (!v.nvmeExport) problems.push('NVMe/TCP export is off');
  if (v.flags.includes('X') || v.flags.includes('disabled')) problems.push('disk is disabled');
  if (!v.sizeBytes) problems.push('disk reports no size');
  return problems.length ? { abnormal: true, message: problems.join('; ') } : { abnormal: false, message: 'disk present and exported' };
}

export function volumeStatus(v: Volume) {
  return { published_node_ids: parseVolumeMeta(v.comment).published.map((p) => p.node), volume_condition: volumeCondition(v) };
}

/** Opaque page tokens: "<kind>1:" + base64url of the last key returned. */
export function encodeToken(kind: string, key: string): string {
  return `${kind}1:${Buffer.from(key).toString('base64url')}`;
}

export function decodeToken(kind: string, token: string): string | undefined {
  const m = new RegExp(`^${kind}1:([A-Za-z0-9_-]+)$`).exec(token);
  return m?.[1] ? Buffer.from(m[1], 'base64url').toString() : undefined;
}
