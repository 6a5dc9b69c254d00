// NodeGetVolumeStats: usage from statfs (bytes and inodes) for file systems, the device size for
// block volumes, and a volume condition that turns abnormal when the controller link is lost,
// the device is gone, or a mount no longer shows the volume.
import { statfs } from 'node:fs/promises';
import type { csi } from '@mikrotik-kube/proto';
import { basename } from 'node:path';
import { blockMajMin } from './block-device';
import type { NodeDeps } from './deps';
import type { StagedVolume } from './node-state';
import { stagingProblem } from './staging';

async function condition(d: NodeDeps, v: StagedVolume, path: string): Promise<csi.VolumeCondition> {
  let problem = await stagingProblem(d, v);
  if (!problem && path !== v.stagingPath) {
    const m = await d.mounter.at(path);
    const majMin = v.device ? await blockMajMin(v.device) : undefined;
    const current = v.accessType === 'block' ? m && v.device && basename(m.root) === basename(v.device) : m && m.dev === majMin;
    if (!current) problem = `${path} no longer shows the volume's device (stale bind mount; republish needed)`;
  }
  if (problem) d.metrics.staleMounts.inc({ reason: 'stats' });
  return problem ? { abnormal: true, message: problem } : { abnormal: false, message: 'volume is connected and mounted' };
}

export async function volumeStats(d: NodeDeps, v: StagedVolume, path: string): Promise<csi.NodeGetVolumeStatsResponse> {
  const volume_condition = await condition(d, v, path);
  if (v.accessType === 'block') {
    const cur = await d.attacher.current(v.target.nqn);
    const total = cur ? await d.fs.sizeBytes(cur.device) : 0;
    return { usage: [{ total, unit: 'BYTES' }], volume_condition };
  }
  try {
    const s = await statfs(path, { bigint: true });
    const total = Number(s.blocks * s.bsize);
    const available = Number(s.bavail * s.bsize);
    const used = Number((s.blocks - s.bfree) * s.bsize);
    const inodesUsed = Number(s.files - s.ffree);
    return {
      usage: [
        { total, available, used, unit: 'BYTES' },
        { total: Number(s.files), available: Number(s.ffree), used: inodesUsed, unit: 'INODES' },
      ],
      volume_condition,
    };
  } catch (e) {
    // statfs on a mount whose device vanished fails with EIO: report the condition, no usage.
    return { usage: [], volume_condition: { abnormal: true, message: `statfs ${path}: ${(e as Error).message}` } };
  }
}
