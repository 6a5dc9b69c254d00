// Pod status in Kubernetes' shape from what we know: the reconcile record (spec,
// address, router ids, errors, unsupported fields) and the boot-supervisor's
// unit states (running, ready, restarts, backoff). Computed on demand; no
// router call is made here.
import type { V1ContainerState, V1ContainerStatus, V1Pod, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';
import type { PodRecord } from './reconciler';
import type { UnitStatus } from './services';
import { unitName } from './naming';

export const BOOT_INDEX_ANNOTATION = 'status.mikrotik.io/boot-index';
export const UNSUPPORTED_CONDITION = 'mikrotik.io/UnsupportedFields';

const at = (ms: number) => (ms > 0 ? new Date(ms) : undefined);

function containerState(u: UnitStatus | undefined, waiting: { reason: string; message?: string }): V1ContainerState {
  if (!u) return { waiting };
  switch (u.state) {
    case 'UNIT_STATE_STARTING':
    case 'UNIT_STATE_RUNNING':
      return { running: { startedAt: at(u.started_ms) } };
    case 'UNIT_STATE_BACKOFF': {
      const secs = Math.max(0, Math.round((u.next_restart_ms - Date.now()) / 1000));
      return { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${secs}s restarting failed container (${u.reason}${u.message ? `: ${u.message}` : ''})` } };
    }
    case 'UNIT_STATE_STOPPED':
    case 'UNIT_STATE_FAILED':
      // RouterOS reports no exit code; a stop nobody asked for counts as a failure.
      return { terminated: { exitCode: 1, reason: u.reason || 'Error', message: u.message, startedAt: at(u.started_ms), finishedAt: at(u.last_transition_ms) } };
    default:
      return { waiting: { reason: u.reason || 'Pending', message: u.message } };
  }
}

function condition(type: string, ok: boolean, since: Date, reason?: string, message?: string): V1PodCondition {
  return { type, status: ok ? 'True' : 'False', lastTransitionTime: since, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

export function podStatus(r: PodRecord, units: ReadonlyMap<string, UnitStatus>): V1PodStatus {
  const ns = r.pod.metadata?.namespace || 'default';
  const name = r.pod.metadata?.name ?? '';
  const specContainers = r.pod.spec?.containers ?? [];
  const statuses: V1ContainerStatus[] = specContainers.map((c, i) => {
    const unit = r.plan ? units.get(unitName(ns, name, c.name, i)) : undefined;
    const made = r.containers.get(c.name);
    const waiting = r.errors.length
      ? { reason: r.errorReason ?? 'InvalidPod', message: r.errors.join('; ') }
      : !made && r.lastError
        ? { reason: 'CreateContainerError', message: r.lastError }
        : { reason: 'ContainerCreating' };
    const state = containerState(made ? unit : undefined, waiting);
    return {
      name: c.name,
      image: c.image ?? '',
      imageID: made?.imageId ?? '',
      ...(made ? { containerID: `routeros://${made.id}` } : {}),
      ready: !!made && unit?.state === 'UNIT_STATE_RUNNING' && unit.ready,
      started: !!state.running,
      restartCount: unit?.restart_count ?? 0,
      state,
    };
  });
  const states = statuses.map((s) => s.state ?? {});
  const failed = states.some((s) => s.terminated);
  const live = statuses.length > 0 && states.every((s) => s.running || s.waiting?.reason === 'CrashLoopBackOff');
  const phase = failed ? 'Failed' : live ? 'Running' : 'Pending';
  const ready = statuses.length > 0 && statuses.every((s) => s.ready);
  const since = r.firstSeen;
  const conditions = [
    condition('PodScheduled', true, since),
    condition('Initialized', true, since),
    condition('ContainersReady', ready, since),
    condition('Ready', ready, since),
  ];
  if (r.notes.length) conditions.push({ ...condition(UNSUPPORTED_CONDITION, true, since, 'NotExpressibleOnRouterOS', r.notes.join('; ')) });
  const problem = r.errors.length ? { reason: r.errorReason ?? 'InvalidPod', message: r.errors.join('; ') } : r.lastError ? { reason: 'SyncFailed', message: r.lastError } : undefined;
  return {
    phase,
    ...(problem ?? {}),
    conditions,
    ...(r.address ? { podIP: r.address, podIPs: [{ ip: r.address }] } : {}),
    startTime: r.firstSeen,
    containerStatuses: statuses,
  };
}

/** The pod as we report it: its own metadata and spec, our status, and the boot position. */
export function reportPod(r: PodRecord, units: ReadonlyMap<string, UnitStatus>): V1Pod {
  const first = r.plan?.containers[0];
  const boot = first ? units.get(first.unit)?.boot_index : undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...r.pod.metadata,
      namespace: r.pod.metadata?.namespace || 'default',
      annotations: { ...r.pod.metadata?.annotations, ...(boot !== undefined ? { [BOOT_INDEX_ANNOTATION]: String(boot) } : {}) },
    },
    spec: r.pod.spec,
    status: podStatus(r, units),
  };
}

/** Every pod the reconciler keeps, as reported (standalone status API, kubelet GET /pods). */
export function reportPods(records: Iterable<PodRecord>, units: ReadonlyMap<string, UnitStatus>): V1Pod[] {
  return [...records].map((r) => reportPod(r, units));
}
