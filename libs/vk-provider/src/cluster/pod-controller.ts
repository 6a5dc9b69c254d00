// Cluster mode's pods: the API server's pods bound to our node, run through the
// same reconciler as standalone mode (core/), with what the kubelet owes back —
// pods/status written after each pass and on every unit change, events, and
// the end of graceful deletion: once a deleting pod's containers are stopped
// and removed, the pod is deleted with grace 0 under a UID precondition (a new
// pod of the same name is never hit). Nothing runs before the informer's first
// full list, so a slow or failing API server never makes us remove pods.
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { Logger } from '@mikrotik-kube/service-kit';
import { Counter, type Registry } from 'prom-client';
import { podKey } from '../core/naming';
import { PassLoop } from '../core/pass-loop';
import { podStatus } from '../core/pod-status';
import type { DesiredPod, Reconciler } from '../core/reconciler';
import type { PodEvents, UnitStatus } from '../core/services';
import { UnitEvents } from '../core/unit-events';
import type { UnitWatch } from '../core/unit-watch';
import { envErrorMessage, needsResolution } from './env-sources';
import { apiCode } from './kube';
import type { PodInformer } from './pod-informer';
import { mergePodStatus, normalizeTimes } from './status-merge';
import { specHash, type ResolvedEnv } from '../core/translate';
import { needsFiles, type ResolvedFiles } from '../core/volume-files';

export interface ClusterPodsOptions {
  informer: PodInformer;
  reconciler: Reconciler;
  units: UnitWatch;
  core: CoreV1Api;
  events: PodEvents;
  /** The pod's env from ConfigMaps, Secrets and fields (env-sources.ts). */
  resolveEnv: (pod: V1Pod) => Promise<ResolvedEnv>;
  /** The files of the pod's ConfigMap/Secret volumes (core/volume-files.ts). */
  resolveFiles: (pod: V1Pod) => Promise<ResolvedFiles>;
  /** The address pods report as hostIP: the router's. */
  hostIP: string | undefined;
  logger: Logger;
  resyncMs: number;
  /** Unit changes are written in batches at most this often. */
  statusDebounceMs?: number;
  /** Exports mikrotik_kube_vk_pod_status_writes_total{result}. */
  metrics?: Registry;
}

const keyOf = (p: V1Pod) => podKey(p.metadata?.namespace || 'default', p.metadata?.name ?? '');

export class ClusterPods {
  private readonly loop: PassLoop;
  /** Env resolved once per pod spec (uid + spec hash), as the kubelet reads it at container start. */
  private readonly envCache = new Map<string, ResolvedEnv>();
  /** Per pod uid: the status (as the core reported it) last written. */
  private readonly written = new Map<string, string>();
  private readonly unitEvents: UnitEvents;
  private writing: Promise<void> = Promise.resolve();
  private statusTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly writes: Counter | undefined;

  constructor(private readonly o: ClusterPodsOptions) {
    this.loop = new PassLoop((reason, gc) => this.pass(reason, gc), o.resyncMs, o.logger);
    this.unitEvents = new UnitEvents(() => o.reconciler.records.values(), o.events);
    this.writes = o.metrics
      ? new Counter({ name: 'mikrotik_kube_vk_pod_status_writes_total', help: 'pods/status writes by result (written, conflict: our copy was stale, error).', labelNames: ['result'], registers: [o.metrics] })
      : undefined;
  }

  start(): void {
    this.o.units.start();
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.statusTimer);
    this.o.units.stop();
    await this.loop.stop();
    await this.writing;
  }

  /**
   * A pod changed in the API server (or the first list arrived). Our own status
   * writes come back as updates too: those need no pass, only a status check.
   */
  podChanged(reason: string, pod?: V1Pod): void {
    const record = pod ? this.o.reconciler.records.get(keyOf(pod)) : undefined;
    const same = !!pod && reason === 'pod update' && !!record && record.pod.metadata?.uid === pod.metadata?.uid && !pod.metadata?.deletionTimestamp && specHash(record.pod) === specHash(pod);
    if (same) this.statusSoon();
    else this.loop.trigger(reason);
  }

  /** Supervisor's view of a unit changed: events for starts and back-offs, and fresh status soon. */
  unitChanged(s: UnitStatus): void {
    this.unitEvents.changed(s);
    this.statusSoon();
  }

  /** The supervisor restarted without state: register every unit again. */
  supervisorConnected(): void {
    this.o.reconciler.forgetRegistrations();
    this.loop.trigger('supervisor connected');
  }

  private async pass(reason: string, collectGarbage: boolean): Promise<{ failed: boolean }> {
    const { informer, reconciler } = this.o;
    if (!informer.synced) return { failed: false };
    const pods = informer.list();
    const deleting = pods.filter((p) => p.metadata?.deletionTimestamp);
    const desired = await Promise.all(pods.filter((p) => !p.metadata?.deletionTimestamp).map((p) => this.desired(p)));
    const r = await reconciler.sync(desired, collectGarbage, reason);
    const live = new Set(pods.map((p) => p.metadata?.uid ?? ''));
    for (const k of this.envCache.keys()) if (!live.has(k.split('/')[0] ?? '')) this.envCache.delete(k);
    for (const uid of this.written.keys()) if (!live.has(uid)) this.written.delete(uid);
    for (const pod of deleting) if (!r.failed.includes(keyOf(pod))) await this.finishDeletion(pod);
    await this.writeStatuses();
    return { failed: r.failed.length > 0 };
  }

  private async desired(pod: V1Pod): Promise<DesiredPod> {
    try {
      const env = needsResolution(pod) ? await this.env(pod) : undefined;
      // Read on every pass, so a changed ConfigMap or Secret reaches the volume (the env does not change, as in Kubernetes).
      const files = needsFiles(pod) ? await this.o.resolveFiles(pod) : undefined;
      return { pod, ...(env ? { env } : {}), ...(files ? { files } : {}) };
    } catch (e) {
      return { pod, errors: [envErrorMessage(e)], errorReason: 'CreateContainerConfigError' };
    }
  }

  private async env(pod: V1Pod): Promise<ResolvedEnv> {
    const cacheKey = `${pod.metadata?.uid}/${specHash(pod)}`;
    const cached = this.envCache.get(cacheKey);
    if (cached) return cached;
    const env = await this.o.resolveEnv(pod);
    this.envCache.set(cacheKey, env);
    return env;
  }

  /** The containers are gone from the router: let the API server forget the pod. */
  private async finishDeletion(pod: V1Pod): Promise<void> {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace || 'default';
    try {
      await this.o.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } } });
      this.o.logger.info('pod deleted', { pod: keyOf(pod) });
    } catch (e) {
      // Already gone, or a new pod of that name (UID precondition): nothing of ours to finish.
      if (apiCode(e) !== 404 && apiCode(e) !== 409) throw e;
    }
  }

  private statusSoon(): void {
    if (this.statusTimer || this.stopped) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      void this.writeStatuses();
    }, this.o.statusDebounceMs ?? 200);
  }

  /** Writes pods/status where what we report changed; one writer at a time. */
  private writeStatuses(): Promise<void> {
    const run = this.writing.then(() => this.writeAll());
    this.writing = run.catch(() => undefined);
    return this.writing;
  }

  private async writeAll(): Promise<void> {
    const { informer, reconciler, units } = this.o;
    if (!informer.synced) return;
    for (const pod of informer.list()) {
      if (pod.metadata?.deletionTimestamp) continue;
      const record = reconciler.records.get(keyOf(pod));
      const uid = pod.metadata?.uid ?? '';
      if (!record || record.pod.metadata?.uid !== uid) continue;
      const ours = podStatus(record, units.units);
      const fingerprint = JSON.stringify(normalizeTimes(ours));
      if (this.written.get(uid) === fingerprint) continue;
      const body: V1Pod = { ...pod, status: mergePodStatus({ current: pod.status, ours, hostIP: this.o.hostIP, now: new Date() }) };
      try {
        await this.o.core.replaceNamespacedPodStatus({ name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace || 'default', body });
        this.written.set(uid, fingerprint);
        this.writes?.inc({ result: 'written' });
      } catch (e) {
        // 409: our copy is stale; the informer brings the new one and triggers another write.
        const stale = apiCode(e) === 409 || apiCode(e) === 404;
        this.writes?.inc({ result: stale ? 'conflict' : 'error' });
        if (!stale) this.o.logger.warn('pod status not written', { pod: keyOf(pod), error: (e as Error).message });
      }
    }
  }
}
