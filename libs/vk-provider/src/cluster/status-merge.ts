// The status we PUT to pods/status: what the core reports (core/pod-status.ts),
// merged with what the API server already has so that restarts and repeats
// change nothing that did not change — startTime and each condition's
// lastTransitionTime are kept while the condition's status is the same;
// conditions others own (DisruptionTarget, readiness gates) and fields the API
// server set (qosClass) are kept. Times are whole seconds, as metav1.Time
// stores them.
import type { V1PodCondition, V1PodStatus } from '@kubernetes/client-node';

/** RFC 3339 in whole seconds, the API server's metav1.Time form. */
export function apiTime(t: Date | string | undefined): string | undefined {
  if (t === undefined || t === null || t === '') return undefined;
  const d = t instanceof Date ? t : new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Every Date in a JSON-like value as an API time string (client-node hands back both forms). */
export function normalizeTimes<T>(v: T): T {
  if (v instanceof Date) return apiTime(v) as T;
  if (Array.isArray(v)) return v.map((x: unknown) => normalizeTimes(x)) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, normalizeTimes(x)])) as T;
  return v;
}

export interface MergeInput {
  /** What the API server has now. */
  current: V1PodStatus | undefined;
  /** What the core reports. */
  ours: V1PodStatus;
  hostIP: string | undefined;
  now: Date;
}

export function mergePodStatus(i: MergeInput): V1PodStatus {
  const current = normalizeTimes(i.current ?? {});
  const ours = normalizeTimes(i.ours);
  const before = new Map((current.conditions ?? []).map((c) => [c.type, c]));
  const now = apiTime(i.now);
  const conditions: V1PodCondition[] = (ours.conditions ?? []).map((c) => {
    const old = before.get(c.type);
    const lastTransitionTime = old && old.status === c.status ? (old.lastTransitionTime ?? now) : now;
    return { ...c, lastTransitionTime: lastTransitionTime as unknown as Date };
  });
  const mine = new Set(conditions.map((c) => c.type));
  for (const c of current.conditions ?? []) if (!mine.has(c.type)) conditions.push(c);
  const merged: V1PodStatus = {
    ...current,
    ...ours,
    conditions,
    startTime: (current.startTime ?? ours.startTime) as Date | undefined,
    ...(i.hostIP ? { hostIP: i.hostIP, hostIPs: [{ ip: i.hostIP }] } : {}),
  };
  // A reason or message we no longer report must go, not linger from the old status.
  if (!ours.reason) delete merged.reason;
  if (!ours.message) delete merged.message;
  return merged;
}
