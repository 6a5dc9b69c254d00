// What a node request's volume_capability asks for, checked with the shared rules
// (csi-common) plus the node's own: safe mount flags and a file system it can make.
import { accessModeOf, capabilityProblem, isBlock, requireCapability, type Capability } from '@mikrotik-kube/csi-common';
import { grpcError, status } from '@mikrotik-kube/grpc-kit';
import { type FsType, isSupportedFs } from './filesystem';
import { mountFlagProblem } from './mounter';
import type { AccessType } from './node-state';

export interface Requested {
  accessType: AccessType;
  fsType?: FsType;
  mountFlags: string[];
  accessMode: string;
  /** The access mode only reads. */
  readerOnly: boolean;
}

export function parseCapability(cap: Capability | null | undefined, defaultFs: FsType): Requested {
  const c = requireCapability(cap);
  const problem = capabilityProblem(c);
  if (problem) throw grpcError(status.INVALID_ARGUMENT, problem);
  const accessMode = accessModeOf(c);
  const readerOnly = accessMode.endsWith('READER_ONLY');
  if (isBlock(c)) return { accessType: 'block', mountFlags: [], accessMode, readerOnly };
  const fs = c.mount?.fs_type || defaultFs;
  if (!isSupportedFs(fs)) throw grpcError(status.INVALID_ARGUMENT, `fs_type ${fs} is not supported`);
  const mountFlags = c.mount?.mount_flags ?? [];
  const flagProblem = mountFlagProblem(mountFlags);
  if (flagProblem) throw grpcError(status.INVALID_ARGUMENT, flagProblem);
  return { accessType: 'mount', fsType: fs, mountFlags, accessMode, readerOnly };
}

/** Whether a repeated request asks for the same thing the volume was staged with. */
export const sameCapability = (a: Requested, b: Pick<Requested, 'accessType' | 'fsType' | 'mountFlags' | 'accessMode'>) =>
  a.accessType === b.accessType && a.fsType === b.fsType && a.accessMode === b.accessMode && a.mountFlags.join(',') === b.mountFlags.join(',');
