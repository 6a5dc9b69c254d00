// NodePublish/NodeUnpublish: a bind mount of the staging mount onto the pod's target directory
// (read-only when asked), or for block volumes a bind mount of the device node onto a file.
import { mkdir, open, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { grpcError, status } from '@mikrotik-kube/grpc-kit';
import { blockMajMin } from './block-device';
import type { Requested } from './capability';
import type { NodeDeps } from './deps';
import { isReadOnly, type MountEntry } from './mountinfo';
import type { StagedVolume } from './node-state';
import { repairStaging } from './staging';

export interface PublishRequest {
  volumeId: string;
  stagingPath: string;
  targetPath: string;
  want: Requested;
  readonly: boolean;
}

/** Whether a target mount shows this volume's current data (not a bind of a vanished device). */
async function targetIsCurrent(d: NodeDeps, v: StagedVolume, m: MountEntry): Promise<boolean> {
  if (!v.device) return false;
  if (v.accessType === 'block') return basename(m.root) === basename(v.device);
  return m.dev === (await blockMajMin(v.device));
}

export async function publish(d: NodeDeps, r: PublishRequest): Promise<void> {
  const v = d.state.get(r.volumeId);
  if (!v) throw grpcError(status.NOT_FOUND, `volume ${r.volumeId} is not staged on this node`);
  if (v.stagingPath !== r.stagingPath) {
    throw grpcError(status.FAILED_PRECONDITION, `volume ${r.volumeId} is staged at ${v.stagingPath}, not ${r.stagingPath}`);
  }
  if (v.accessType !== r.want.accessType) {
    throw grpcError(status.INVALID_ARGUMENT, `volume ${r.volumeId} was staged as ${v.accessType}, publish asks for ${r.want.accessType}`);
  }
  const other = d.state.byTarget(r.targetPath);
  if (other && other.volumeId !== r.volumeId) {
    throw grpcError(status.FAILED_PRECONDITION, `target ${r.targetPath} is in use by volume ${other.volumeId}`);
  }
  const readonly = r.readonly || r.want.readerOnly;
  const prev = v.publishes[r.targetPath];
  const mounted = await d.mounter.at(r.targetPath);
  if (prev && mounted) {
    if (prev.readonly !== readonly) {
      throw grpcError(status.ALREADY_EXISTS, `volume ${r.volumeId} is already published at ${r.targetPath} ${prev.readonly ? 'read-only' : 'read-write'}`);
    }
    if (await targetIsCurrent(d, v, mounted)) return;
  } else if (mounted) {
    throw grpcError(status.FAILED_PRECONDITION, `target ${r.targetPath} already has something else mounted on it`);
  }

  await repairStaging(d, v);
  const cur = d.state.get(r.volumeId) as StagedVolume;
  const device = cur.device as string;
  if (mounted) await d.mounter.unmount(r.targetPath); // a stale bind from before a repair
  if (v.accessType === 'block') {
    await mkdir(dirname(r.targetPath), { recursive: true, mode: 0o750 });
    const exists = await stat(r.targetPath).catch(() => undefined);
    if (exists?.isDirectory()) throw grpcError(status.FAILED_PRECONDITION, `block target ${r.targetPath} is a directory`);
    if (!exists) await (await open(r.targetPath, 'a', 0o660)).close();
    await d.mounter.bind(device, r.targetPath, readonly);
  } else {
    await mkdir(r.targetPath, { recursive: true, mode: 0o750 });
    await d.mounter.bind(cur.stagingPath, r.targetPath, readonly);
  }
  const m = await d.mounter.at(r.targetPath);
  if (!m || (readonly && !isReadOnly(m))) {
    await d.mounter.unmount(r.targetPath).catch(() => undefined);
    throw grpcError(status.INTERNAL, `bind mount of ${r.volumeId} on ${r.targetPath} did not take effect${m ? ' read-only' : ''}`);
  }
  d.state.put({ ...cur, publishes: { ...cur.publishes, [r.targetPath]: { readonly } } });
  d.logger.info('volume published', { volumeId: r.volumeId, target: r.targetPath, readonly, accessType: v.accessType });
}

export async function unpublish(d: NodeDeps, volumeId: string, targetPath: string): Promise<void> {
  const v = d.state.get(volumeId);
  const owner = d.state.byTarget(targetPath);
  if (owner && owner.volumeId !== volumeId) {
    throw grpcError(status.FAILED_PRECONDITION, `target ${targetPath} belongs to volume ${owner.volumeId}, not ${volumeId}`);
  }
  await d.mounter.unmount(targetPath);
  // Only remove what a publish creates: an empty directory or a plain (bind target) file.
  const st = await stat(targetPath).catch(() => undefined);
  if (st?.isDirectory()) await rmdir(targetPath);
  else if (st?.isFile() && st.size === 0) await rm(targetPath);
  if (v && targetPath in v.publishes) {
    const publishes = { ...v.publishes };
    delete publishes[targetPath];
    d.state.put({ ...v, publishes });
  }
  d.logger.info('volume unpublished', { volumeId, target: targetPath });
}
