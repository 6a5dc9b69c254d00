export { RdsClient } from './rds-client';
export type { RdsClientOptions, CreateVolumeRequest, CloneVolumeRequest, SnapshotSubvolumeRequest } from './rds-client';
export { SshConnection } from './connection';
export { SshPool } from './pool';
export type { SshTarget, ExecResult, ConnectionEvents } from './connection';
export type { HostKeyPolicy } from './host-key';
export { checkHostKey, fingerprint } from './host-key';
export { RdsError, isRdsError } from './errors';
export type { RdsErrorKind } from './errors';
export type { Volume, Capacity, Subvolume } from './records';
export { buildCommand, val, prefixRegex } from './command';
export type { CommandSpec, CliValue, Condition } from './command';
export { quote } from './quote';
export { parsePrint, parsePairs, parseSettings, parseAsValue } from './parse';
export type { PrintRecord } from './parse';
export { parseSize, parseGroupedInt, formatSizeArg } from './values';
export {
  validateSlot,
  validateFilePath,
  validateBasePath,
  validateNqn,
  validatePort,
  validateRelativeName,
  validateComment,
} from './validate';
