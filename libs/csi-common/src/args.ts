// Argument checks shared by the CSI services: each throws INVALID_ARGUMENT (or the code the
// spec asks for) with a message naming the field.
import { grpcError, status } from '@mikrotik-kube/grpc-kit';
import type { csi } from '@mikrotik-kube/proto';

export type AccessMode = csi._csi_v1_VolumeCapability_AccessMode_Mode__Output;
export type Capability = csi.VolumeCapability__Output;

/** CSI strings (ids, names) are limited to 128 bytes by the spec. */
const MAX_FIELD_BYTES = 128;

export function requireField(value: string | undefined | null, field: string): string {
  if (!value) throw grpcError(status.INVALID_ARGUMENT, `${field} is required`);
  if (Buffer.byteLength(value) > MAX_FIELD_BYTES) throw grpcError(status.INVALID_ARGUMENT, `${field} is longer than ${MAX_FIELD_BYTES} bytes`);
  return value;
}

export function requireCapabilities(caps: Capability[] | undefined | null, field = 'volume_capabilities'): Capability[] {
  if (!caps?.length) throw grpcError(status.INVALID_ARGUMENT, `${field} is required`);
  return caps;
}

export function requireCapability(cap: Capability | undefined | null, field = 'volume_capability'): Capability {
  if (!cap) throw grpcError(status.INVALID_ARGUMENT, `${field} is required`);
  return cap;
}

export const isBlock = (cap: Capability): boolean => cap.access_type === 'block' || (!!cap.block && !cap.mount);

export const accessModeOf = (cap: Capability): AccessMode => cap.access_mode?.mode ?? 'UNKNOWN';

/** Modes this driver serves: single-node ones, plus multi-node multi-writer for raw block (KubeVirt live migration). */
export const SUPPORTED_MODES: readonly AccessMode[] = [
  'SINGLE_NODE_WRITER',
  'SINGLE_NODE_READER_ONLY',
  'SINGLE_NODE_SINGLE_WRITER',
  'SINGLE_NODE_MULTI_WRITER',
  'MULTI_NODE_MULTI_WRITER',
];

/**
 * Why a capability cannot be served, or undefined when it can. Used by CreateVolume
 * (INVALID_ARGUMENT) and ValidateVolumeCapabilities (unconfirmed with this message).
 */
export function capabilityProblem(cap: Capability): string | undefined {
  if (!cap.block && !cap.mount) return 'access_type (block or mount) is required';
  if (cap.block && cap.mount) return 'access_type must be block or mount, not both';
  const mode = accessModeOf(cap);
  if (mode === 'UNKNOWN') return 'access_mode is required';
  if (!SUPPORTED_MODES.includes(mode)) return `access mode ${mode} is not supported`;
  if (mode === 'MULTI_NODE_MULTI_WRITER' && !isBlock(cap)) {
    return 'MULTI_NODE_MULTI_WRITER is only supported for block volumes (KubeVirt live migration); a shared filesystem would corrupt';
  }
  const fs = cap.mount?.fs_type;
  if (fs && !['ext4', 'ext3', 'xfs'].includes(fs)) return `fs_type ${fs} is not supported (ext4, ext3, xfs)`;
  return undefined;
}

/** Throws INVALID_ARGUMENT for the first capability that cannot be served. */
export function checkCapabilities(caps: Capability[]): void {
  for (const c of caps) {
    const p = capabilityProblem(c);
    if (p) throw grpcError(status.INVALID_ARGUMENT, p);
  }
}

export const isMultiNode = (cap: Capability): boolean => accessModeOf(cap).startsWith('MULTI_NODE');
