// NodeStage/NodeUnstage: connect the namespace, put a file system on it only when the device
// is truly blank, check it, mount it on the staging path — and take it all down again, failing
// (not pretending) when the disconnect does not finish. Block volumes stop after the connect.
import { mkdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { grpcError, status } from '@mikrotik-kube/grpc-kit';
import { blockMajMin } from './block-device';
import { type Requested, sameCapability } from './capability';
import type { NodeDeps } from './deps';
import { type FsType, isSupportedFs } from './filesystem';
import type { StagedVolume } from './node-state';
import type { NvmeTarget } from './nvme-cli';

export interface StageRequest {
  volumeId: string;
  stagingPath: string;
  target: NvmeTarget;
  want: Requested;
}

function mountOptions(v: Pick<StagedVolume, 'fsType' | 'mountFlags' | 'accessMode'>): string[] {
  const opts = [...v.mountFlags];
  // Clones and snapshot restores carry their source's xfs UUID (democratic-csi #191).
  if (v.fsType === 'xfs' && !opts.includes('nouuid')) opts.push('nouuid');
  if (v.accessMode.endsWith('READER_ONLY') && !opts.includes('ro')) opts.push('ro');
  return opts;
}

/** Formats a blank device, refuses a foreign one, checks, then mounts on the staging path. */
async function mountFilesystem(d: NodeDeps, v: StagedVolume, device: string): Promise<void> {
  const fs = v.fsType as FsType;
  const probe = await d.fs.probe(device);
  if (probe.blank) {
    d.logger.info('formatting blank device', { volumeId: v.volumeId, device, fs });
    await d.fs.format(device, fs);
  } else if (probe.type !== fs) {
    const found = probe.type ?? (probe.ptType ? `a ${probe.ptType} partition table` : 'an unknown signature');
    throw grpcError(status.FAILED_PRECONDITION, `volume ${v.volumeId} holds ${found}, not ${fs}; refusing to format or mount it`);
  } else {
    const problem = await d.fs.check(device, fs);
    if (problem) throw grpcError(status.INTERNAL, `volume ${v.volumeId}: ${problem}`);
  }
  await mkdir(v.stagingPath, { recursive: true, mode: 0o750 });
  await d.mounter.mount(device, v.stagingPath, fs, mountOptions(v));
}

/** Why a staged volume is not healthy (lost controller, gone device, missing or replaced mount), or undefined. */
export async function stagingProblem(d: NodeDeps, v: StagedVolume): Promise<string | undefined> {
  const sub = await d.attacher.subsystem(v.target.nqn);
  if (!sub) return `NVMe subsystem ${v.target.nqn} is not connected`;
  const ctrl = sub.controllers.find((c) => c.state === 'live');
  if (!ctrl) return `no live controller for ${v.target.nqn} (${sub.controllers.map((c) => `${c.name}=${c.state}`).join(', ') || 'none'})`;
  const cur = await d.attacher.current(v.target.nqn);
  if (!cur) return `the namespace of ${v.target.nqn} has no block device`;
  const majMin = await blockMajMin(cur.device);
  if (v.devMajMin && majMin !== v.devMajMin) return `device changed from ${v.devMajMin} to ${majMin ?? 'none'} since staging`;
  if (v.accessType === 'mount') {
    const m = await d.mounter.at(v.stagingPath);
    if (!m) return `staging path ${v.stagingPath} is not mounted`;
    if (m.dev !== majMin) return `staging path ${v.stagingPath} mounts ${m.source} (${m.dev}), not the volume's device ${cur.device} (${majMin ?? '?'})`;
  }
  return undefined;
}

/**
 * Brings a staged volume back to health: reconnects a lost controller and remounts a staging
 * path whose mount is missing or points at a device that is gone. Returns what was wrong.
 */
export async function repairStaging(d: NodeDeps, v: StagedVolume): Promise<string | undefined> {
  const problem = await stagingProblem(d, v);
  if (!problem) return undefined;
  d.metrics.staleMounts.inc({ reason: problem.startsWith('staging') ? 'mount' : problem.includes('controller') ? 'controller' : 'device' });
  d.logger.warn('repairing staged volume', { volumeId: v.volumeId, problem });
  const { device } = await d.attacher.attach(v.target);
  const majMin = await blockMajMin(device);
  if (v.accessType === 'mount') {
    const m = await d.mounter.at(v.stagingPath);
    if (m && m.dev !== majMin) await d.mounter.unmount(v.stagingPath);
    if (!m || m.dev !== majMin) await mountFilesystem(d, v, device);
  }
  d.state.put({ ...v, device, ...(majMin ? { devMajMin: majMin } : {}) });
  return problem;
}

export async function stage(d: NodeDeps, r: StageRequest): Promise<void> {
  const existing = d.state.get(r.volumeId);
  if (existing) {
    if (existing.stagingPath !== r.stagingPath) {
      throw grpcError(status.FAILED_PRECONDITION, `volume ${r.volumeId} is already staged at ${existing.stagingPath}`);
    }
    if (!sameCapability(r.want, existing)) {
      throw grpcError(status.ALREADY_EXISTS, `volume ${r.volumeId} is staged at ${r.stagingPath} with a different capability`);
    }
    await repairStaging(d, existing);
    return;
  }
  const other = d.state.byStagingPath(r.stagingPath);
  if (other) throw grpcError(status.FAILED_PRECONDITION, `staging path ${r.stagingPath} is in use by volume ${other.volumeId}`);
  if (r.want.accessType === 'mount' && (await d.mounter.at(r.stagingPath))) {
    throw grpcError(status.FAILED_PRECONDITION, `staging path ${r.stagingPath} already has something mounted on it`);
  }

  let attached;
  try {
    attached = await d.attacher.attach(r.target);
    d.metrics.connects.inc({ status: 'ok' });
  } catch (e) {
    d.metrics.connects.inc({ status: 'error' });
    throw e;
  }
  const majMin = await blockMajMin(attached.device);
  const v: StagedVolume = {
    volumeId: r.volumeId,
    stagingPath: r.stagingPath,
    target: r.target,
    accessType: r.want.accessType,
    accessMode: r.want.accessMode,
    mountFlags: r.want.mountFlags,
    ...(r.want.fsType ? { fsType: r.want.fsType } : {}),
    device: attached.device,
    ...(majMin ? { devMajMin: majMin } : {}),
    stagedAt: new Date().toISOString(),
    publishes: {},
  };
  // Recorded before mounting: a crash from here on still lets NodeUnstage find the NQN.
  d.state.put(v);
  try {
    if (v.accessType === 'mount') await mountFilesystem(d, v, attached.device);
  } catch (e) {
    await d.mounter.unmount(r.stagingPath).catch(() => undefined);
    await d.attacher.detach(r.target.nqn).catch((err: unknown) => d.logger.warn('rollback disconnect failed', { nqn: r.target.nqn, err: String(err) }));
    if (!(await d.attacher.subsystem(r.target.nqn))) d.state.delete(r.volumeId);
    throw e;
  }
  d.logger.info('volume staged', { volumeId: v.volumeId, device: v.device, accessType: v.accessType, fsType: v.fsType });
}

export async function unstage(d: NodeDeps, volumeId: string, stagingPath: string, nqnGuess: string): Promise<void> {
  const v = d.state.get(volumeId);
  if (v && v.stagingPath !== stagingPath) {
    throw grpcError(status.FAILED_PRECONDITION, `volume ${volumeId} is staged at ${v.stagingPath}, not ${stagingPath}`);
  }
  if (v) {
    for (const target of Object.keys(v.publishes)) {
      if (await d.mounter.at(target)) throw grpcError(status.FAILED_PRECONDITION, `volume ${volumeId} is still published at ${target}`);
    }
  }
  await d.mounter.unmount(stagingPath);
  const nqn = v?.target.nqn ?? nqnGuess;
  // Pulling the namespace from under a mount someone else made (a stray bind of the staging
  // mount or of the device node) would corrupt it (mayastor-control-plane #377): refuse.
  const cur = await d.attacher.current(nqn);
  if (cur) {
    const majMin = await blockMajMin(cur.device);
    const holders = (await d.mounter.table.read()).filter((m) => m.dev === majMin || (m.fsType === 'devtmpfs' && m.root === `/${basename(cur.device)}`));
    if (holders.length) {
      throw grpcError(status.FAILED_PRECONDITION, `volume ${volumeId}'s device ${cur.device} is still mounted at ${holders.map((m) => m.target).join(', ')}`);
    }
  }
  if (d.attacher.isManaged(nqn)) await d.attacher.detach(nqn);
  else if (await d.attacher.subsystem(nqn)) d.logger.warn('not disconnecting a subsystem outside the managed NQN prefix', { nqn });
  if (v) d.state.delete(volumeId);
  d.logger.info('volume unstaged', { volumeId, nqn });
}

export const fsTypeOf = (v: StagedVolume): FsType | undefined => (v.fsType && isSupportedFs(v.fsType) ? v.fsType : undefined);
