// Restart backoff and the restart budget, kubelet- and systemd-like: the delay
// doubles from `initialMs` up to `maxMs` (kubelet: 10 s → 5 min) and falls back
// to the start after a unit has run cleanly for `resetAfterMs` (kubelet: 10
// min). At most `maxRestarts` restarts may happen within `windowMs`
// (systemd's StartLimitBurst/StartLimitIntervalSec); one more failure gives up.

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  resetAfterMs: number;
  windowMs: number;
}

export const KUBELET_BACKOFF: BackoffPolicy = {
  initialMs: 10_000,
  maxMs: 300_000,
  resetAfterMs: 600_000,
  windowMs: 3_600_000,
};

/** Delay before the restart that follows `consecutive` failures (1 = first). */
export function backoffDelay(policy: BackoffPolicy, consecutive: number): number {
  if (consecutive <= 0) return 0;
  // 2^30 already exceeds any sane maxMs; capping the exponent avoids Infinity.
  const exp = Math.min(consecutive - 1, 30);
  return Math.min(policy.initialMs * 2 ** exp, policy.maxMs);
}

/** What the watchdog remembers per unit; persisted so a restart keeps the count. */
export interface RestartHistory {
  /** Restarts issued over the unit's life (reported as restart_count). */
  total: number;
  /** Failures since the last clean run; drives the delay. */
  consecutive: number;
  /** Unix ms of the restarts within the window. */
  recent: number[];
}

export const emptyHistory = (): RestartHistory => ({ total: 0, consecutive: 0, recent: [] });

export type FailureDecision = { kind: 'restart'; delayMs: number } | { kind: 'give-up'; restartsInWindow: number };

/**
 * Records a failure at `now` and decides: restart after a delay, or give up
 * because `maxRestarts` restarts already happened within the window.
 */
export function onFailure(h: RestartHistory, policy: BackoffPolicy, maxRestarts: number, now: number): FailureDecision {
  h.recent = h.recent.filter((t) => now - t < policy.windowMs);
  if (h.recent.length >= maxRestarts) return { kind: 'give-up', restartsInWindow: h.recent.length };
  h.consecutive += 1;
  return { kind: 'restart', delayMs: backoffDelay(policy, h.consecutive) };
}

/** Records that a restart was issued at `now`. */
export function onRestart(h: RestartHistory, now: number): void {
  h.total += 1;
  h.recent.push(now);
}

/** A unit that has run cleanly since `runningSince` for long enough starts over at the shortest delay. */
export function maybeReset(h: RestartHistory, policy: BackoffPolicy, runningSince: number, now: number): boolean {
  if (h.consecutive > 0 && now - runningSince >= policy.resetAfterMs) {
    h.consecutive = 0;
    return true;
  }
  return false;
}
