// One reconcile pass: desired pods (from a file or the API server) against what
// the router has under our tags. Missing pods are created, pods whose spec hash
// changed (or that lost a container) are recreated, pods no longer desired are
// removed — objects without our tag are never touched. The pass keeps a record
// per pod for status; nothing else is remembered between passes, so a restart
// rebuilds everything from the router and the services (all calls idempotent).
import type { V1Pod } from '@kubernetes/client-node';
import type { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import type { Logger } from '@mikrotik-kube/service-kit';
import type { ReconcileMetrics } from './metrics';
import { podKey } from './naming';
import type { CreatedContainer, PodLifecycle, VolumeFilesState } from './pod-lifecycle';
import { forEachLimited } from './pool';
import { observePods, type ObservedPod } from './router-objects';
import type { PodServices } from './services';
import { type PodPlan, type ResolvedEnv, translatePod } from './translate';
import type { ResolvedFiles } from './volume-files';

export interface PodRecord {
  key: string;
  pod: V1Pod;
  plan?: PodPlan;
  /** Why the pod is invalid (nothing is created for it; what exists is left alone). */
  errors: string[];
  /** The waiting reason those errors show as (default InvalidPod). */
  errorReason?: string;
  /** Fields RouterOS cannot express, from the spec and from the router's version. */
  notes: string[];
  address?: string;
  containers: Map<string, CreatedContainer>;
  /** What the pod's ConfigMap/Secret volumes hold on the router. */
  volumeFiles: VolumeFilesState;
  /** The last failure to create or update the pod (retried on the next pass). */
  lastError?: string;
  firstSeen: Date;
  /** Spec hash whose units the supervisor has (re-registered when it restarts). */
  registered?: string;
}

/** A pod to run; `errors` set by the source (e.g. schema checks) make it invalid. */
export interface DesiredPod {
  pod: V1Pod;
  errors?: string[];
  /** Reason shown for `errors` (e.g. CreateContainerConfigError for a missing ConfigMap). */
  errorReason?: string;
  /** Env resolved by the source (cluster mode: ConfigMaps, Secrets, fields). */
  env?: ResolvedEnv;
  /** The files of the pod's ConfigMap/Secret volumes, read by the source for this pass. */
  files?: ResolvedFiles;
}

export interface SyncResult {
  created: string[];
  recreated: string[];
  removed: string[];
  failed: string[];
}

export interface ReconcilerOptions {
  router: RouterOsClient;
  services: PodServices;
  lifecycle: PodLifecycle;
  logger: Logger;
  /** Pods worked on at once. */
  concurrency: number;
  metrics?: ReconcileMetrics;
}

const message = (e: unknown) => (e as { details?: string }).details || (e as Error).message || String(e);

export class Reconciler {
  readonly records = new Map<string, PodRecord>();
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: ReconcilerOptions) {}

  /** Forget which units the supervisor has (it restarted without state); the next pass registers again. */
  forgetRegistrations(): void {
    for (const r of this.records.values()) r.registered = undefined;
  }

  /**
   * One pass; passes never overlap. `collectGarbage` also lets ipam and volumes drop what no pod owns.
   * A pass that changed or failed something is logged as `reconciled` with `reason`.
   */
  sync(pods: DesiredPod[], collectGarbage = false, reason = 'sync'): Promise<SyncResult> {
    const run = this.running
      .catch(() => undefined)
      .then(async () => {
        const started = performance.now();
        const result = await this.pass(pods, collectGarbage);
        const ms = performance.now() - started;
        this.o.metrics?.observe(result, ms / 1000);
        const changed = result.created.length + result.recreated.length + result.removed.length + result.failed.length;
        if (changed) this.o.logger.info('reconciled', { reason, ms: Math.round(ms), ...result });
        return result;
      });
    this.running = run;
    return run;
  }

  private async pass(pods: DesiredPod[], collectGarbage: boolean): Promise<SyncResult> {
    const result: SyncResult = { created: [], recreated: [], removed: [], failed: [] };
    const desired = new Map<string, DesiredPod>();
    const duplicates = new Set<string>();
    for (const d of pods) {
      const key = podKey(d.pod.metadata?.namespace || 'default', d.pod.metadata?.name ?? '');
      if (desired.has(key)) duplicates.add(key);
      else desired.set(key, d);
    }
    const observed = await observePods(this.o.router);
    this.o.lifecycle.beginPass();

    await forEachLimited([...desired.entries()], this.o.concurrency, async ([key, { pod, errors, errorReason, env, files }]) => {
      const record: PodRecord = this.records.get(key) ?? { key, pod, errors: [], notes: [], containers: new Map(), volumeFiles: new Map(), firstSeen: new Date() };
      this.records.set(key, record);
      record.pod = pod;
      const t = errors?.length ? { ok: false as const, key, errors } : translatePod(pod, env);
      record.errorReason = errors?.length ? errorReason : undefined;
      if (duplicates.has(key) || !t.ok) {
        // Invalid: report it and leave whatever runs for this pod alone.
        record.plan = undefined;
        record.errors = duplicates.has(key) ? [`pod ${key} is defined more than once`] : t.ok ? [] : t.errors;
        return;
      }
      record.errors = [];
      const outcome = await this.ensure(record, t.plan, observed.get(key), files).catch((e: unknown) => {
        record.lastError = message(e);
        this.o.logger.warn('pod sync failed', { pod: key, error: record.lastError });
        return 'failed' as const;
      });
      if (outcome !== 'unchanged') result[outcome].push(key);
    });

    const gone = [...observed.values()].filter((p) => !desired.has(p.key));
    await forEachLimited(gone, this.o.concurrency, async (p) => {
      try {
        await this.o.lifecycle.delete(p, true);
        result.removed.push(p.key);
      } catch (e) {
        this.o.logger.warn('pod removal failed', { pod: p.key, error: message(e) });
        result.failed.push(p.key);
      }
    });
    for (const key of this.records.keys()) if (!desired.has(key) && !result.failed.includes(key)) this.records.delete(key);

    if (collectGarbage) await this.collectGarbage([...desired.keys()]);
    return result;
  }

  private async ensure(record: PodRecord, plan: PodPlan, obs: ObservedPod | undefined, files: ResolvedFiles | undefined): Promise<'created' | 'recreated' | 'unchanged'> {
    const { lifecycle } = this.o;
    const upToDate =
      !!obs &&
      obs.containers.length === plan.containers.length &&
      plan.containers.every((c) => obs.containers.some((o) => o.tag.container === c.name && o.tag.hash === plan.hash && o.container.name === c.rosName));
    let outcome: 'created' | 'recreated' | 'unchanged' = 'unchanged';
    if (!upToDate) {
      if (obs) await lifecycle.delete(obs, false);
      record.registered = undefined;
      record.volumeFiles = new Map();
      const alloc = await lifecycle.allocate(plan);
      record.address = alloc.address;
      const made = await lifecycle.create(plan, alloc);
      record.containers = made.containers;
      record.notes = [...plan.notes, ...made.notes];
      outcome = obs?.containers.length ? 'recreated' : 'created';
    } else {
      if (record.plan?.hash !== plan.hash) record.notes = [...plan.notes];
      for (const o of obs.containers) {
        const prev = record.containers.get(o.tag.container);
        record.containers.set(o.tag.container, { id: o.container.id, imageId: prev?.id === o.container.id ? prev.imageId : '' });
      }
      record.address ??= (await lifecycle.allocate(plan)).address;
      await lifecycle.alignStartOnBoot(plan, obs);
    }
    record.plan = plan;
    // Before the units: the supervisor starts the containers, which read these files.
    await lifecycle.syncFiles(plan, files, record.volumeFiles);
    if (record.registered !== plan.hash) {
      await lifecycle.register(plan, record.address);
      record.registered = plan.hash;
    }
    record.lastError = undefined;
    return outcome;
  }

  private async collectGarbage(live: string[]): Promise<void> {
    const { ipam, volumes } = this.o.services;
    await ipam.reconcile(live).catch((e: unknown) => this.o.logger.warn('ipam reconcile failed', { error: message(e) }));
    await volumes.cleanupOrphans(live).catch((e: unknown) => this.o.logger.warn('volume cleanup failed', { error: message(e) }));
  }
}
