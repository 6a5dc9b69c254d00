// StorageClass parameters (the rds-csi driver's documented table plus its NVMe timing
// keys) → a validated, defaulted object; and the volume_context the controller returns and
// the node plugin reads back. Unknown keys are refused so typos fail loudly; the keys the
// external-provisioner adds (`csi.storage.k8s.io/*`) are accepted.
import { isIP } from 'node:net';
import { DEFAULT_NQN_PREFIX, DEFAULT_VOLUME_PATH, TARGET_NAME } from './naming';

export type FsType = 'ext4' | 'ext3' | 'xfs';

export interface VolumeParams {
  /** Which of the controller's RDS targets holds the volume; undefined = the default target. */
  rdsTarget?: string;
  /** Upstream rds-csi classes name the RDS by its SSH address and port: they select the target, never the NVMe address. */
  rdsAddress?: string;
  sshPort?: number;
  /** NVMe/TCP data-plane address; undefined = the target's. */
  nvmeAddress?: string;
  /** Export port; undefined = the target's. */
  nvmePort?: number;
  fsType: FsType;
  volumePath: string;
  nqnPrefix: string;
  /** nvme connect --ctrl-loss-tmo: -1 unlimited, 0 kernel default, >0 seconds. */
  ctrlLossTmo: number;
  reconnectDelay: number;
  keepAliveTmo: number;
  /** How long a two-node (live migration) attachment may last. */
  migrationTimeoutSeconds: number;
}

export class ParamError extends Error {}

const FS_TYPES: readonly string[] = ['ext4', 'ext3', 'xfs'];
const NQN_PREFIX = /^nqn\.\d{4}-\d{2}\.[a-z0-9][a-z0-9.-]*$/;
const PATH_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const KNOWN = new Set([
  'rdsTarget',
  'rdsAddress',
  'nvmeAddress',
  'nvmePort',
  'sshPort',
  'fsType',
  'volumePath',
  'nqnPrefix',
  'ctrlLossTmo',
  'reconnectDelay',
  'keepAliveTmo',
  'migrationTimeoutSeconds',
]);
export const FSTYPE_KEY = 'csi.storage.k8s.io/fstype';

function int(params: Record<string, string>, key: string, def: number, min: number, max: number): number;
function int(params: Record<string, string>, key: string, def: undefined, min: number, max: number): number | undefined;
function int(params: Record<string, string>, key: string, def: number | undefined, min: number, max: number): number | undefined {
  const raw = params[key];
  if (raw === undefined || raw === '') return def;
  if (!/^-?\d+$/.test(raw.trim())) throw new ParamError(`parameter ${key}=${JSON.stringify(raw)} is not an integer`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new ParamError(`parameter ${key}=${n} must be between ${min} and ${max}`);
  return n;
}

/** A clean absolute directory ("/storage-pool/metal-csi"): no traversal, no odd characters. */
export function checkVolumePath(p: string): string {
  const segs = p.split('/').slice(1);
  if (!p.startsWith('/') || segs.length < 2 || segs.some((s) => !PATH_SEGMENT.test(s) || s === '.' || s === '..')) {
    throw new ParamError(`volumePath ${JSON.stringify(p)} must be an absolute path of at least two plain segments (e.g. ${DEFAULT_VOLUME_PATH})`);
  }
  return p;
}

function address(params: Record<string, string>, key: string, ipOnly: boolean): string | undefined {
  const v = params[key]?.trim();
  if (!v) return undefined;
  // The node plugin hands nvmeAddress to the kernel, which stores traddr as an IP.
  if (ipOnly ? isIP(v) === 0 : isIP(v) === 0 && !HOSTNAME.test(v)) {
    throw new ParamError(`parameter ${key}=${JSON.stringify(v)} must be ${ipOnly ? 'an IP address' : 'an IP address or host name'}`);
  }
  return v;
}

export function parseVolumeParams(params: Record<string, string> = {}): VolumeParams {
  for (const key of Object.keys(params)) {
    if (!KNOWN.has(key) && !key.startsWith('csi.storage.k8s.io/')) {
      throw new ParamError(`unknown StorageClass parameter ${JSON.stringify(key)} (known: ${[...KNOWN].join(', ')})`);
    }
  }
  const fsType = (params[FSTYPE_KEY] || params['fsType'] || 'ext4').trim();
  if (!FS_TYPES.includes(fsType)) throw new ParamError(`fsType ${JSON.stringify(fsType)} is not one of ${FS_TYPES.join(', ')}`);
  const nqnPrefix = (params['nqnPrefix'] || DEFAULT_NQN_PREFIX).trim();
  if (!NQN_PREFIX.test(nqnPrefix) || nqnPrefix.length > 96) {
    throw new ParamError(`nqnPrefix ${JSON.stringify(nqnPrefix)} must look like nqn.YYYY-MM.reverse.domain`);
  }
  const rdsTarget = params['rdsTarget']?.trim();
  if (rdsTarget && !TARGET_NAME.test(rdsTarget)) throw new ParamError(`rdsTarget ${JSON.stringify(rdsTarget)} is not a target name (${TARGET_NAME.source})`);
  const out: VolumeParams = {
    fsType: fsType as FsType,
    volumePath: checkVolumePath((params['volumePath'] || DEFAULT_VOLUME_PATH).trim()),
    nqnPrefix,
    ctrlLossTmo: int(params, 'ctrlLossTmo', -1, -1, 86_400),
    reconnectDelay: int(params, 'reconnectDelay', 5, 1, 3600),
    keepAliveTmo: int(params, 'keepAliveTmo', 0, 0, 3600),
    migrationTimeoutSeconds: migrationTimeoutSeconds(params),
  };
  const rdsAddress = address(params, 'rdsAddress', false);
  const sshPort = int(params, 'sshPort', undefined, 1, 65535);
  const nvmeAddress = address(params, 'nvmeAddress', true);
  const nvmePort = int(params, 'nvmePort', undefined, 1, 65535);
  if (rdsTarget) out.rdsTarget = rdsTarget;
  if (rdsAddress) out.rdsAddress = rdsAddress;
  if (sshPort !== undefined) out.sshPort = sshPort;
  if (nvmeAddress) out.nvmeAddress = nvmeAddress;
  if (nvmePort !== undefined) out.nvmePort = nvmePort;
  return out;
}

/**
 * How long a volume may stay attached to two nodes (a live migration), from StorageClass
 * parameters or a volume_context: default 300, clamped like the upstream driver to 30 s .. 1 h.
 */
export function migrationTimeoutSeconds(params: Record<string, string>): number {
  return Math.min(3600, Math.max(30, int(params, 'migrationTimeoutSeconds', 300, 0, 86_400)));
}

/** Where the node connects, decided by the controller's target (a class may name another storage address of it). */
export interface VolumeConnection {
  nqn: string;
  rdsAddress: string;
  nvmeAddress: string;
  nvmePort: number;
}

/** Keys of the volume_context CreateVolume returns (the node plugin's input). */
export interface VolumeContext {
  rdsAddress: string;
  nvmeAddress: string;
  nvmePort: string;
  nqn: string;
  volumePath: string;
  fsType: string;
  ctrlLossTmo: string;
  reconnectDelay: string;
  keepAliveTmo: string;
  migrationTimeoutSeconds: string;
}

export function buildVolumeContext(p: VolumeParams, c: VolumeConnection): VolumeContext {
  return {
    rdsAddress: c.rdsAddress,
    nvmeAddress: c.nvmeAddress,
    nvmePort: String(c.nvmePort),
    nqn: c.nqn,
    volumePath: p.volumePath,
    fsType: p.fsType,
    ctrlLossTmo: String(p.ctrlLossTmo),
    reconnectDelay: String(p.reconnectDelay),
    keepAliveTmo: String(p.keepAliveTmo),
    migrationTimeoutSeconds: String(p.migrationTimeoutSeconds),
  };
}

/** Node side: reads a volume_context back, refusing missing or malformed connection keys. */
export function parseVolumeContext(ctx: Record<string, string>): VolumeContext {
  const nqn = ctx['nqn'];
  const nvmeAddress = ctx['nvmeAddress'];
  if (!nqn || !/^nqn\./.test(nqn)) throw new ParamError('volume_context.nqn is missing or not an NQN');
  if (!nvmeAddress || isIP(nvmeAddress) === 0) throw new ParamError('volume_context.nvmeAddress is missing or not an IP address');
  const p = parseVolumeParams({
    nvmePort: ctx['nvmePort'] ?? '',
    fsType: ctx['fsType'] ?? '',
    volumePath: ctx['volumePath'] ?? '',
    ctrlLossTmo: ctx['ctrlLossTmo'] ?? '',
    reconnectDelay: ctx['reconnectDelay'] ?? '',
    keepAliveTmo: ctx['keepAliveTmo'] ?? '',
    migrationTimeoutSeconds: ctx['migrationTimeoutSeconds'] ?? '',
  });
  return buildVolumeContext(p, { nqn, rdsAddress: ctx['rdsAddress'] || nvmeAddress, nvmeAddress, nvmePort: p.nvmePort ?? 4420 });
}
