export { identityHandlers, DEFAULT_DRIVER_NAME } from './identity';
export type { IdentityOptions } from './identity';
export { startCsiServer, socketPathOf } from './server';
export type { CsiServer, CsiServerOptions, CsiService } from './server';
export { startAuthorityProxy, AuthorityRewriter, needsAuthorityFix } from './authority-proxy';
export type { AuthorityProxy } from './authority-proxy';
export {
  DEFAULT_NQN_PREFIX,
  DEFAULT_VOLUME_PATH,
  MAX_ID_LENGTH,
  volumeIdForName,
  isVolumeId,
  isSnapshotId,
  nqnFor,
  volumeIdFromNqn,
  filePathFor,
  uuidV5,
  snapshotIdForName,
  TARGET_NAME,
  targetedId,
  splitTargetedId,
} from './naming';
export { parseVolumeParams, buildVolumeContext, parseVolumeContext, migrationTimeoutSeconds, checkVolumePath, ParamError, FSTYPE_KEY } from './params';
export type { VolumeParams, VolumeContext, VolumeConnection, FsType } from './params';
export {
  requireField,
  requireCapabilities,
  requireCapability,
  isBlock,
  isMultiNode,
  accessModeOf,
  capabilityProblem,
  checkCapabilities,
  SUPPORTED_MODES,
} from './args';
export type { AccessMode, Capability } from './args';
