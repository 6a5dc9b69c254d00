// Which units may start now. A candidate (PENDING, or BACKOFF whose delay has
// passed) starts when its container exists and is stopped, every dependency
// is registered, running and ready, and fewer than `maxParallel` units are
// still booting. Candidates are taken in boot order, so among independent
// units the lower priority gets the free slots first.
import type { ContainerPhase } from './router';
import { short, type UnitRecord } from './unit-state';

export interface Wait {
  reason: string;
  message: string;
}

export interface Plan {
  start: UnitRecord[];
  waiting: Map<UnitRecord, Wait>;
}

/** A unit holds a boot slot from its start until it is first ready. */
export const booting = (u: UnitRecord, everReady: boolean) => u.active && !everReady;

export function isCandidate(u: UnitRecord, now: number): boolean {
  return u.state === 'UNIT_STATE_PENDING' || (u.state === 'UNIT_STATE_BACKOFF' && u.nextRestartMs <= now);
}

export interface PlanInput {
  /** Units in boot order. */
  ordered: readonly UnitRecord[];
  byName: ReadonlyMap<string, UnitRecord>;
  phases: ReadonlyMap<string, ContainerPhase>;
  /** Units that have been ready since their last start. */
  everReady: ReadonlySet<UnitRecord>;
  /** Units whose container the supervisor asked to stop and that have not stopped yet. */
  stopping: ReadonlySet<UnitRecord>;
  maxParallel: number;
  now: number;
}

export function planStarts(i: PlanInput): Plan {
  let slots = i.maxParallel - i.ordered.filter((u) => booting(u, i.everReady.has(u))).length;
  const plan: Plan = { start: [], waiting: new Map() };
  for (const u of i.ordered) {
    if (!isCandidate(u, i.now)) continue;
    const wait = blocker(u, i);
    if (wait) {
      plan.waiting.set(u, wait);
    } else if (slots <= 0) {
      plan.waiting.set(u, { reason: 'Queued', message: `waiting for a start slot (${i.maxParallel} units booting)` });
    } else {
      slots -= 1;
      plan.start.push(u);
    }
  }
  return plan;
}

function blocker(u: UnitRecord, i: PlanInput): Wait | undefined {
  const unknown = u.spec.depends_on.filter((d) => !i.byName.has(d));
  if (unknown.length) {
    return { reason: 'DependencyUnknown', message: `waiting for unit(s) ${unknown.join(', ')} to be registered` };
  }
  const notUp = u.spec.depends_on.map((d) => i.byName.get(d) as UnitRecord).filter((d) => !d.up);
  if (notUp.length) {
    const list = notUp.map((d) => `${d.name} (${short(d.state)}${d.state === 'UNIT_STATE_RUNNING' ? ', not ready' : ''})`);
    return { reason: 'WaitingForDependencies', message: `waiting for ${list.join(', ')}` };
  }
  const phase = i.phases.get(u.spec.container) ?? 'missing';
  switch (phase) {
    case 'missing':
      return { reason: 'ContainerNotFound', message: `no container named ${u.spec.container} on the router` };
    case 'extracting':
      return { reason: 'ContainerExtracting', message: 'RouterOS is still extracting the image' };
    case 'error':
      return { reason: 'ContainerError', message: 'RouterOS reports the container in error (image import failed?)' };
    case 'stopping':
      return { reason: 'WaitingForStop', message: 'the container is still stopping' };
    case 'running':
    case 'starting':
      // Still going down after the stop the supervisor asked for (restart).
      return i.stopping.has(u) ? { reason: 'WaitingForStop', message: 'the container is still running' } : undefined;
    default:
      return undefined;
  }
}
