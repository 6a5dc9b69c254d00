// After a restart, and then periodically: every volume in the node state is checked against
// sysfs and mountinfo; a lost controller is reconnected, a missing or stale staging mount is
// remounted, and publish targets that no longer show the volume are bound again.
import type { NodeDeps } from './deps';
import { publish } from './publishing';
import { fsTypeOf, repairStaging, stagingProblem } from './staging';
import type { VolumeLocks } from './volume-locks';

export interface RecoveryResult {
  checked: number;
  repaired: string[];
  failed: Array<{ volumeId: string; error: string }>;
}

export async function recoverVolumes(d: NodeDeps, locks: VolumeLocks): Promise<RecoveryResult> {
  const result: RecoveryResult = { checked: 0, repaired: [], failed: [] };
  for (const v of d.state.all()) {
    await locks.ifFree(v.volumeId, 'recover', async () => {
      result.checked++;
      const problem = await stagingProblem(d, v);
      try {
        if (problem) {
          // Let go of the dead device's mounts first, so the old and the new superblock never coexist.
          for (const t of Object.keys(v.publishes)) await d.mounter.unmount(t);
          await repairStaging(d, v);
          d.metrics.reconnects.inc({ status: 'ok' });
        }
        const cur = d.state.get(v.volumeId) ?? v;
        const fsType = fsTypeOf(cur);
        let rebound = false;
        for (const [targetPath, p] of Object.entries(cur.publishes)) {
          const before = await d.mounter.at(targetPath);
          await publish(d, {
            volumeId: v.volumeId,
            stagingPath: cur.stagingPath,
            targetPath,
            readonly: p.readonly,
            want: { accessType: cur.accessType, mountFlags: cur.mountFlags, accessMode: cur.accessMode, readerOnly: false, ...(fsType ? { fsType } : {}) },
          });
          if (!before || problem) rebound = true;
        }
        if (problem || rebound) {
          result.repaired.push(v.volumeId);
          d.logger.info('staged volume recovered', { volumeId: v.volumeId, problem: problem ?? 'publish target missing' });
        }
      } catch (e) {
        if (problem) d.metrics.reconnects.inc({ status: 'error' });
        result.failed.push({ volumeId: v.volumeId, error: (e as Error).message });
        d.logger.warn('staged volume could not be recovered', { volumeId: v.volumeId, problem, error: (e as Error).message });
      }
    });
  }
  return result;
}
