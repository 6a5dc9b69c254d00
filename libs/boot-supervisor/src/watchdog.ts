// What happens when a unit's container goes down without being asked to (it
// exited, or a startup/liveness probe failed and the supervisor stopped it):
// restart per policy after a growing backoff, or give up when the restart
// budget is spent. RouterOS REST reports no exit code, so every stop the
// supervisor did not ask for counts as a failure — OnFailure therefore
// restarts like Always, and Never leaves the unit STOPPED.
import { maybeReset, onFailure, type BackoffPolicy } from './backoff';
import type { UnitRecord } from './unit-state';

export interface WatchdogPolicy {
  backoff: BackoffPolicy;
  /** Used when a unit's max_restarts is 0 (systemd.maxRestarts). */
  defaultMaxRestarts: number;
}

export type ExitDecision =
  | { kind: 'backoff'; delayMs: number }
  | { kind: 'failed'; restartsInWindow: number }
  | { kind: 'stopped' };

/** Moves a unit whose container went down to BACKOFF, FAILED or STOPPED. */
export function handleExit(u: UnitRecord, why: string, policy: WatchdogPolicy, now: number): ExitDecision {
  if (u.spec.restart_policy === 'RESTART_POLICY_NEVER') {
    u.transition('UNIT_STATE_STOPPED', 'Exited', `${why}; restart policy Never`, now);
    return { kind: 'stopped' };
  }
  const max = u.spec.max_restarts || policy.defaultMaxRestarts;
  const decision = onFailure(u.history, policy.backoff, max, now);
  if (decision.kind === 'give-up') {
    const windowS = Math.round(policy.backoff.windowMs / 1000);
    u.transition(
      'UNIT_STATE_FAILED',
      'MaxRestartsExceeded',
      `${why}; gave up after ${decision.restartsInWindow} restarts within ${windowS}s (max ${max})`,
      now,
    );
    return { kind: 'failed', restartsInWindow: decision.restartsInWindow };
  }
  u.transition('UNIT_STATE_BACKOFF', 'BackOff', `${why}; restarting in ${fmtMs(decision.delayMs)}`, now);
  u.nextRestartMs = now + decision.delayMs;
  return { kind: 'backoff', delayMs: decision.delayMs };
}

/** A unit that has run long enough without failing starts its backoff over. */
export function noteHealthy(u: UnitRecord, policy: WatchdogPolicy, now: number): boolean {
  return u.state === 'UNIT_STATE_RUNNING' && maybeReset(u.history, policy.backoff, u.runningSinceMs, now);
}

/**
 * Units to restart because `restarted` restarts: those that depend on it (or,
 * transitively, on one of them) and asked for restart_with_dependencies.
 */
export function dependentsToRestart(units: Iterable<UnitRecord>, restarted: string): UnitRecord[] {
  const all = [...units];
  const out: UnitRecord[] = [];
  const queue = [restarted];
  const seen = new Set(queue);
  while (queue.length) {
    const name = queue.shift() as string;
    for (const u of all) {
      if (seen.has(u.name) || !u.spec.restart_with_dependencies || !u.spec.depends_on.includes(name)) continue;
      seen.add(u.name);
      out.push(u);
      queue.push(u.name);
    }
  }
  return out;
}

export function fmtMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${+(ms / 1000).toFixed(1)}s`;
}
