import { describe, expect, it } from 'vitest';
import type { kube } from '@mikrotik-kube/proto';
import type { ContainerPhase } from '../src/router';
import { planStarts } from '../src/scheduler';
import { UnitRecord } from '../src/unit-state';

const spec = (name: string, depends_on: string[] = [], priority = 0): kube.Unit__Output => ({
  name,
  container: name,
  depends_on,
  priority,
  restart_policy: 'RESTART_POLICY_ALWAYS',
  address: '127.0.0.1',
  startup_probe: null,
  liveness_probe: null,
  readiness_probe: null,
  max_restarts: 0,
  restart_with_dependencies: false,
});

function setup(specs: kube.Unit__Output[], phases: Record<string, ContainerPhase>, maxParallel = 4) {
  const units = specs.map((s, i) => new UnitRecord(s, i));
  const byName = new Map(units.map((u) => [u.name, u]));
  const plan = (now = 1000, everReady = new Set<UnitRecord>(), stopping = new Set<UnitRecord>()) =>
    planStarts({ ordered: units, byName, phases: new Map(Object.entries(phases)), everReady, stopping, maxParallel, now });
  return { units, byName, plan };
}

describe('planStarts', () => {
  it('starts independent units up to the limit, in order, and queues the rest', () => {
    const { plan } = setup([spec('a'), spec('b'), spec('c')], { a: 'stopped', b: 'stopped', c: 'stopped' }, 2);
    const p = plan();
    expect(p.start.map((u) => u.name)).toEqual(['a', 'b']);
    expect([...p.waiting].map(([u, w]) => [u.name, w.reason])).toEqual([['c', 'Queued']]);
  });

  it('holds a unit until each dependency is running and ready', () => {
    const { byName, plan } = setup([spec('db'), spec('web', ['db'])], { db: 'running', web: 'stopped' });
    const db = byName.get('db') as UnitRecord;
    db.transition('UNIT_STATE_STARTING', 'Started');
    db.transition('UNIT_STATE_RUNNING', 'Running');
    expect(plan().waiting.get(byName.get('web') as UnitRecord)).toEqual({
      reason: 'WaitingForDependencies',
      message: 'waiting for db (RUNNING, not ready)',
    });
    db.setReady(true);
    // db holds no slot once it has been ready.
    expect(plan(1000, new Set([db])).start.map((u) => u.name)).toEqual(['web']);
  });

  it('explains what the router says about the container, and waits out backoff and stops', () => {
    const { byName, plan } = setup([spec('x'), spec('y'), spec('z', ['ghost']), spec('w')], { x: 'extracting', w: 'running' });
    const w = byName.get('w') as UnitRecord;
    w.transition('UNIT_STATE_STARTING', 'x');
    w.transition('UNIT_STATE_BACKOFF', 'BackOff');
    w.nextRestartMs = 2000;
    const p = plan(1000);
    expect(p.waiting.get(byName.get('x') as UnitRecord)?.reason).toBe('ContainerExtracting');
    expect(p.waiting.get(byName.get('y') as UnitRecord)?.reason).toBe('ContainerNotFound');
    expect(p.waiting.get(byName.get('z') as UnitRecord)?.reason).toBe('DependencyUnknown');
    expect(p.waiting.has(w)).toBe(false);
    // Backoff over, but the container the supervisor stopped still runs.
    expect(plan(3000, new Set(), new Set([w])).waiting.get(w)?.reason).toBe('WaitingForStop');
  });
});
