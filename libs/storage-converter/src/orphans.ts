// Orphan cleanup: our mount entries and EMPTY_DIR directories whose pod is not in the
// caller's live list, once they have been orphans for the grace period (counted from the
// first run that saw them, so a restart only delays removal) and only if no container on
// the router references their mount list. PERSISTENT data is kept, as on release.
import type { VolumeManager, Volume } from './volumes';
import { checkSubdomain } from './volume-naming';
import { invalid } from './errors';

export interface OrphanReport {
  removed: Volume[];
  pending: Volume[];
}

export class OrphanCleaner {
  /** `<namespace>/<pod>` → when it was first seen without a live pod. */
  private readonly firstSeen = new Map<string, number>();

  constructor(
    private readonly volumes: VolumeManager,
    private readonly graceMs: number,
  ) {}

  async run(livePods: readonly string[], dryRun: boolean): Promise<OrphanReport> {
    const live = new Set<string>();
    for (const p of livePods) {
      const [ns, pod, extra] = p.split('/');
      if (ns === undefined || pod === undefined || extra !== undefined) throw invalid(`live pod ${JSON.stringify(p)} is not <namespace>/<pod>`);
      live.add(`${checkSubdomain('namespace', ns)}/${checkSubdomain('pod', pod)}`);
    }
    const v = this.volumes;
    const inv = await v.serial('orphans', () => v.inventory());
    const used = await v.serial('orphans', () => v.mountListsInUse());
    const pods = new Set([...inv.mounts.map((m) => `${m.tag.namespace}/${m.tag.pod}`), ...inv.markers.filter((m) => m.kind === 'empty-dir').map((m) => `${m.namespace}/${m.pod}`)]);
    const now = Date.now();
    for (const key of this.firstSeen.keys()) if (!pods.has(key) || live.has(key)) this.firstSeen.delete(key);
    const report: OrphanReport = { removed: [], pending: [] };
    for (const key of [...pods].sort()) {
      if (live.has(key)) continue;
      const [namespace, pod] = key.split('/') as [string, string];
      const since = this.firstSeen.get(key) ?? now;
      this.firstSeen.set(key, since);
      const mounts = inv.mounts.filter((m) => m.tag.namespace === namespace && m.tag.pod === pod);
      const markers = inv.markers.filter((m) => m.namespace === namespace && m.pod === pod && m.kind === 'empty-dir');
      const referenced = mounts.some((m) => used.has(m.mount.list));
      if (referenced || now - since < this.graceMs || dryRun) {
        const listed = dryRun && !referenced && now - since >= this.graceMs ? report.removed : report.pending;
        listed.push(...(await v.list(namespace, pod)).filter((x) => x.kind === 'VOLUME_KIND_EMPTY_DIR' || x.mount_id));
        continue;
      }
      // Re-checked under the pod's lock: a ProvisionVolume may have raced us.
      const removed = await v.serial(key, async () => {
        const inUseNow = await v.mountListsInUse();
        if (mounts.some((m) => inUseNow.has(m.mount.list))) return undefined;
        return v.remove(mounts, markers, 'orphan');
      });
      if (removed) {
        report.removed.push(...removed);
        this.firstSeen.delete(key);
      } else report.pending.push(...(await v.list(namespace, pod)));
    }
    return report;
  }
}
