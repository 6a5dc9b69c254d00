// Attachment state: the publish records in disk comments vs the cluster's VolumeAttachments.
// A record with no VolumeAttachment for that (volume, node) — e.g. the node was deleted, or an
// unpublish was lost while the controller was down — blocks RWO volumes forever, so it is
// cleared. Safe by construction: only on complete lists; a record must be stale for the whole
// grace period as seen by this process; re-read under the volume's in-flight lock before
// writing; a VolumeAttachment in any state (attaching, detaching) keeps its record. The
// opposite case (attached VA, no record) is only reported: adding a record could break RWO.
import type { CoreV1Api, StorageV1Api } from '@kubernetes/client-node';
import type { Logger } from '@mikrotik-kube/service-kit';
import { Counter, type Registry } from 'prom-client';
import { formatVolumeMeta, nodeKey, parseVolumeMeta } from './disk-meta';
import type { InFlight } from './inflight';
import { driverAttachments, driverVolumes } from './kube-lists';
import type { Targets } from './targets';
import { isOurVolume } from './volume-view';

export interface AttachmentReconcilerOptions {
  driverName: string;
  targets: Targets;
  core: CoreV1Api;
  storage: StorageV1Api;
  graceSeconds: number;
  logger: Logger;
  metrics: Registry;
  inflight: InFlight;
  now?: () => number;
}

export class AttachmentReconciler {
  private readonly staleSince = new Map<string, number>();
  private readonly actions: Counter<'action'>;
  private readonly now: () => number;

  constructor(private readonly o: AttachmentReconcilerOptions) {
    this.now = o.now ?? Date.now;
    this.actions = new Counter({ name: 'mikrotik_kube_csi_attachment_reconcile_total', help: 'Attachment reconciler findings and actions.', labelNames: ['action'], registers: [o.metrics] });
  }

  /** volume id → node keys that have a VolumeAttachment (any state). */
  private async expected(): Promise<{ any: Map<string, Set<string>>; attached: Array<[string, string]> }> {
    const [pvs, vas] = await Promise.all([driverVolumes(this.o.core, this.o.driverName), driverAttachments(this.o.storage, this.o.driverName)]);
    const byPv = new Map([...pvs].map(([handle, pv]) => [pv, handle]));
    const any = new Map<string, Set<string>>();
    const attached: Array<[string, string]> = [];
    for (const va of vas) {
      const handle = va.spec.source.persistentVolumeName ? byPv.get(va.spec.source.persistentVolumeName) : undefined;
      if (!handle) continue;
      const key = nodeKey(va.spec.nodeName);
      any.set(handle, (any.get(handle) ?? new Set()).add(key));
      if (va.status?.attached) attached.push([handle, key]);
    }
    return { any, attached };
  }

  /** One pass; returns the `volume/node` records cleared. */
  async run(): Promise<string[]> {
    const { o } = this;
    const exp = await this.expected();
    // CSI ids (as VolumeAttachments' PVs hold them), every target's disks.
    const disks: Array<{ id: string; comment: string | undefined }> = [];
    for (const t of o.targets.list) {
      for (const d of await t.rds.listVolumes('')) if (isOurVolume(d, t.volumeBases)) disks.push({ id: o.targets.idOf(t, d.slot), comment: d.comment });
    }
    const now = this.now();
    const stale = new Set<string>();
    const cleared: string[] = [];
    for (const d of disks) {
      const meta = parseVolumeMeta(d.comment);
      for (const p of meta.published) if (!exp.any.get(d.id)?.has(p.node)) stale.add(`${d.id}/${p.node}`);
      for (const [vol, node] of exp.attached) {
        if (vol === d.id && !meta.published.some((p) => p.node === node)) {
          this.actions.inc({ action: 'attached-without-record' });
          o.logger.warn('VolumeAttachment is attached but the volume has no publish record', { volume: vol, node });
        }
      }
    }
    for (const k of this.staleSince.keys()) if (!stale.has(k)) this.staleSince.delete(k);
    for (const k of stale) {
      const since = this.staleSince.get(k) ?? now;
      this.staleSince.set(k, since);
      if (now - since < o.graceSeconds * 1000) continue;
      const [id = '', node = ''] = k.split('/');
      try {
        await o.inflight.run([id], async () => {
          const { target, slot } = o.targets.resolve(id);
          const v = await target.rds.getVolume(slot);
          const again = await this.expected();
          if (!v || again.any.get(id)?.has(node)) return;
          const meta = parseVolumeMeta(v.comment);
          const keep = meta.published.filter((p) => p.node !== node);
          if (keep.length === meta.published.length) return;
          await target.rds.setComment(slot, formatVolumeMeta({ ...meta, published: keep }));
          o.logger.warn('stale publish record cleared', { volume: id, node });
          this.actions.inc({ action: 'stale-cleared' });
          this.staleSince.delete(k);
          cleared.push(k);
        });
      } catch (e) {
        o.logger.warn('attachment reconcile step failed', { volume: id, error: (e as Error).message });
      }
    }
    return cleared;
  }
}
