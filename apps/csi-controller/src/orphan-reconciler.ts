// Orphaned volumes: our disks (slot prefix, under a volume base) that no PersistentVolume of
// this driver references. Safe by construction:
//  - acts only on a complete PV list (any list error skips the run);
//  - a disk must be seen orphaned continuously for the grace period by this process (and be
//    older than the grace period by its creation stamp), so a volume whose PV is being
//    created, or a controller pointed at the wrong cluster for one run, loses nothing;
//  - published disks are never touched; deletions run under the volume's in-flight lock
//    after re-reading the disk; at most maxDeletesPerRun per run; dry-run by default.
import type { CoreV1Api } from '@kubernetes/client-node';
import type { Volume } from '@mikrotik-kube/rds-ssh';
import type { Logger } from '@mikrotik-kube/service-kit';
import { Counter, Gauge, type Registry } from 'prom-client';
import { parseVolumeMeta } from './disk-meta';
import type { InFlight } from './inflight';
import { driverVolumes } from './kube-lists';
import { destroyDisk } from './subvolumes';
import type { Target, Targets } from './targets';
import { isOurVolume } from './volume-view';

export interface OrphanReconcilerOptions {
  driverName: string;
  targets: Targets;
  core: CoreV1Api;
  prefix: string;
  graceSeconds: number;
  dryRun: boolean;
  maxDeletesPerRun: number;
  logger: Logger;
  metrics: Registry;
  inflight: InFlight;
  now?: () => number;
}

export class OrphanReconciler {
  private readonly firstSeen = new Map<string, number>();
  private readonly found: Gauge;
  private readonly deleted: Counter<'result'>;
  private readonly now: () => number;

  constructor(private readonly o: OrphanReconcilerOptions) {
    this.now = o.now ?? Date.now;
    this.found = new Gauge({ name: 'mikrotik_kube_csi_orphan_volumes', help: 'Disks with no PersistentVolume at the last orphan check.', registers: [o.metrics] });
    this.deleted = new Counter({ name: 'mikrotik_kube_csi_orphan_deletions_total', help: 'Orphaned disks deleted (or reported in dry-run).', labelNames: ['result'], registers: [o.metrics] });
  }

  /** One pass; returns the ids deleted (or that would be, in dry-run). */
  async run(): Promise<string[]> {
    const { o } = this;
    const pvs = await driverVolumes(o.core, o.driverName);
    // Keyed by CSI id (what a PV's volumeHandle holds), so every target's disks are told apart.
    const disks: Array<Volume & { id: string; target: Target }> = [];
    for (const t of o.targets.list) {
      for (const d of await t.rds.listVolumes(o.prefix)) if (isOurVolume(d, t.volumeBases)) disks.push({ ...d, id: o.targets.idOf(t, d.slot), target: t });
    }
    const now = this.now();
    const graceMs = o.graceSeconds * 1000;
    const orphans = disks.filter((d) => !pvs.has(d.id) && parseVolumeMeta(d.comment).published.length === 0);
    const current = new Set(orphans.map((d) => d.id));
    for (const slot of this.firstSeen.keys()) if (!current.has(slot)) this.firstSeen.delete(slot);
    this.found.set(orphans.length);
    const due = orphans.filter((d) => {
      const seen = this.firstSeen.get(d.id) ?? now;
      this.firstSeen.set(d.id, seen);
      const created = parseVolumeMeta(d.comment).createdAt ?? 0;
      return now - seen >= graceMs && now - created >= graceMs;
    });
    const acted: string[] = [];
    for (const d of due.slice(0, o.maxDeletesPerRun)) {
      if (o.dryRun) {
        o.logger.warn('orphaned volume (dry run, not deleted)', { volume: d.id, file: d.filePath });
        this.deleted.inc({ result: 'dry-run' });
        acted.push(d.id);
        continue;
      }
      try {
        await o.inflight.run([d.id], async () => {
          // Re-check right before acting: a PV or a publish may have appeared meanwhile.
          const again = await d.target.rds.getVolume(d.slot);
          const pvsNow = await driverVolumes(o.core, o.driverName);
          if (!again || pvsNow.has(d.id) || parseVolumeMeta(again.comment).published.length) return;
          await destroyDisk(d.target, d.slot, again);
          o.logger.warn('orphaned volume deleted', { volume: d.id, file: again.filePath });
          this.deleted.inc({ result: 'deleted' });
          this.firstSeen.delete(d.id);
          acted.push(d.id);
        });
      } catch (e) {
        this.deleted.inc({ result: 'error' });
        o.logger.warn('orphan delete failed', { volume: d.id, error: (e as Error).message });
      }
    }
    if (due.length > o.maxDeletesPerRun) o.logger.warn('orphan deletions capped for this run', { due: due.length, cap: o.maxDeletesPerRun });
    return acted;
  }
}
