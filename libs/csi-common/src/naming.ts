// Volume and snapshot identifiers, NQNs and backing-file paths, following the existing
// rds-csi driver (3whiskeywhiskey/rds-csi) so volumes it created keep working after a switch:
//   volume id = CreateVolume name ("pvc-<uuid>"; other names: a derived lower-case id), slot = volume id,
//   NQN = "<nqnPrefix>:" + lower-cased volume id, file = "<volumePath>/<volume id>.img",
//   snapshot id = "snap-<uuid5(DNS, name)>-at-<first 10 hex digits of that uuid>".
// On an RDS target other than the controller's default, ids carry the target: "<target>:<slot>"
// (upstream ids, which have no ':', belong to the default target).
import { createHash } from 'node:crypto';

export const DEFAULT_NQN_PREFIX = 'nqn.2000-02.com.mikrotik';
export const DEFAULT_VOLUME_PATH = '/storage-pool/metal-csi';
/** Longest id we create: `<id>.img` must fit a 128-character RouterOS file name segment. */
export const MAX_ID_LENGTH = 124;

// Lower case only: the NQN is lower-cased (as the upstream driver does), so a plain id with
// capitals would share its NQN with every case variant of itself.
const PLAIN_ID = /^[a-z0-9][a-z0-9-]*$/;
const VOLUME_ID = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const SNAPSHOT_ID = /^snap-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(-at-[0-9a-f]+)?$/;
const DNS_NAMESPACE = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * The volume id for a CreateVolume name: the name itself when it is a safe lower-case slot
 * (every Kubernetes "pvc-<uuid>"), else a stable derived id (`<safe lower-case prefix>-<hash
 * of the exact name>`), so a retried CreateVolume with the same name always finds the same
 * disk and names differing only by case get different disks and NQNs.
 */
export function volumeIdForName(name: string, maxLength = MAX_ID_LENGTH): string {
  if (PLAIN_ID.test(name) && name.length <= maxLength) return name;
  const safe = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+/, '').slice(0, 64) || 'vol';
  return `${safe}-${sha256(name).slice(0, 16)}`;
}

/** Whether `id` could name one of our volumes (anything else cannot exist: NOT_FOUND). */
export const isVolumeId = (id: string): boolean => VOLUME_ID.test(id) && id.length <= MAX_ID_LENGTH && !isSnapshotId(id);

export const isSnapshotId = (id: string): boolean => SNAPSHOT_ID.test(id);

export const nqnFor = (volumeId: string, nqnPrefix = DEFAULT_NQN_PREFIX): string => `${nqnPrefix}:${volumeId.toLowerCase()}`;

/** The volume id an NQN of ours carries, or undefined for a foreign NQN. */
export function volumeIdFromNqn(nqn: string, nqnPrefix = DEFAULT_NQN_PREFIX): string | undefined {
  return nqn.startsWith(`${nqnPrefix}:`) ? nqn.slice(nqnPrefix.length + 1) : undefined;
}

export const filePathFor = (volumePath: string, id: string): string => `${volumePath}/${id}.img`;

/** RFC 4122 version-5 UUID (SHA-1, name-based). */
export function uuidV5(name: string, namespace = DNS_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name).digest().subarray(0, 16);
  h[6] = ((h[6] as number) & 0x0f) | 0x50;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export function snapshotIdForName(name: string): string {
  const u = uuidV5(name);
  return `snap-${u}-at-${u.replace(/-/g, '').slice(0, 10)}`;
}

/** RDS target names (controller config `rds.targets[].name`, StorageClass `rdsTarget`): short, so ids stay within 128 bytes. */
export const TARGET_NAME = /^[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?$/;
const TARGET_SEP = ':';

/** The CSI id of a slot on `target` (undefined = the default target: the bare slot). */
export const targetedId = (target: string | undefined, slot: string): string => (target ? `${target}${TARGET_SEP}${slot}` : slot);

/** Splits a CSI volume or snapshot id into its target (undefined = the default target) and slot. */
export function splitTargetedId(id: string): { target?: string; slot: string } {
  const i = id.indexOf(TARGET_SEP);
  return i < 0 ? { slot: id } : { target: id.slice(0, i), slot: id.slice(i + 1) };
}
