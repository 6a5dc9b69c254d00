// The registered units: lookup, boot order, change notification (Watch,
// metrics) and persistence to the state file. The engine (supervisor.ts)
// decides what happens to units; this table only keeps them.
import type { kube } from '@mikrotik-kube/proto';
import type { Logger } from '@mikrotik-kube/service-kit';
import type { SupervisorMetrics } from './metrics';
import type { PersistedUnit, StateFile } from './state-file';
import { bootOrder, CycleError, findCycle } from './toposort';
import { UnitRecord, type UnitState } from './unit-state';

export class UnitTable {
  private readonly units = new Map<string, UnitRecord>();
  private ordered: UnitRecord[] = [];
  private readonly listeners = new Set<(s: kube.UnitStatus) => void>();
  private seq = 0;
  /** Something worth saving changed since the last persist(). */
  dirty = false;

  constructor(
    private readonly metrics: SupervisorMetrics,
    private readonly logger: Logger,
    private readonly file?: StateFile,
  ) {}

  get byName(): ReadonlyMap<string, UnitRecord> {
    return this.units;
  }

  /** Units in boot order. */
  list(): readonly UnitRecord[] {
    return this.ordered;
  }

  watch(fn: (s: kube.UnitStatus) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Adds a unit, or gives the existing one its new spec. Returns undefined when
   * the spec is unchanged; throws CycleError when it would close a cycle.
   */
  upsert(spec: kube.Unit__Output): { unit: UnitRecord; previous?: kube.Unit__Output } | undefined {
    const existing = this.units.get(spec.name);
    if (existing && JSON.stringify(existing.spec) === JSON.stringify(spec)) return undefined;
    const nodes = [...this.units.values()].filter((u) => u.name !== spec.name).map((u) => ({ name: u.name, dependsOn: u.spec.depends_on }));
    const cycle = findCycle([...nodes, { name: spec.name, dependsOn: spec.depends_on }]);
    if (cycle) throw new CycleError(cycle);
    if (existing) {
      const previous = existing.spec;
      existing.spec = spec;
      return { unit: existing, previous };
    }
    const unit = new UnitRecord(spec, this.seq++);
    this.units.set(spec.name, unit);
    return { unit };
  }

  /** Removes a unit; watchers get its last status with reason Unregistered. */
  remove(name: string): UnitRecord | undefined {
    const u = this.units.get(name);
    if (!u) return undefined;
    this.units.delete(name);
    this.metrics.removed(name);
    const last = { ...u.status(), reason: 'Unregistered', message: 'no longer supervised', last_transition_ms: Date.now() };
    for (const l of this.listeners) l(last);
    this.reorder();
    this.persist();
    return u;
  }

  set(u: UnitRecord, state: UnitState, reason: string, message = ''): void {
    if (u.transition(state, reason, message)) this.changed(u);
  }

  /** Tells watchers and metrics about a unit's new status. */
  changed(u: UnitRecord): void {
    this.dirty = true;
    this.metrics.unit(u);
    const s = u.status();
    for (const l of this.listeners) l(s);
  }

  /** Recomputes the boot order (after a unit was added, changed or removed). */
  reorder(): void {
    const names = bootOrder([...this.units.values()].map((u) => ({ name: u.name, dependsOn: u.spec.depends_on, priority: u.spec.priority, seq: u.seq })));
    this.ordered = names.map((n) => this.units.get(n) as UnitRecord);
    this.ordered.forEach((u, i) => {
      if (u.bootIndex !== i) {
        u.bootIndex = i;
        this.changed(u);
      }
    });
  }

  /** Replaces the units with the state file's (another replica may have written it). Throws on a bad file. */
  load(): void {
    if (!this.file) return;
    const saved = this.file.load().units;
    for (const name of this.units.keys()) if (!saved.some((p) => p.spec.name === name)) this.metrics.removed(name);
    this.units.clear();
    for (const p of saved) {
      const u = new UnitRecord(p.spec, p.seq, p.history);
      u.startedMs = p.startedMs;
      if (p.terminal) u.transition(p.terminal.state, p.terminal.reason, p.terminal.message);
      else u.explain('Recovering', 'restored from the state file');
      this.units.set(u.name, u);
      this.seq = Math.max(this.seq, p.seq + 1);
    }
    this.reorder();
  }

  persist(): void {
    this.dirty = false;
    if (!this.file) return;
    const units = [...this.units.values()]
      .sort((a, b) => a.seq - b.seq)
      .map((u): PersistedUnit => {
        const s = u.state;
        const terminal = s === 'UNIT_STATE_FAILED' || s === 'UNIT_STATE_STOPPED';
        return {
          spec: u.spec,
          seq: u.seq,
          history: u.history,
          startedMs: u.startedMs,
          ...(terminal ? { terminal: { state: s, reason: u.reason, message: u.message } } : {}),
        };
      });
    try {
      this.file.save({ units });
    } catch (err) {
      this.logger.error('state file write failed', { error: (err as Error).message });
    }
  }
}
