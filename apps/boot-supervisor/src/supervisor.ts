// The supervisor engine: keeps the registered units, polls the router, walks
// each unit through its life cycle, starts units in boot order through the
// scheduler, runs their probes and hands failures to the watchdog. One
// reconcile pass runs at a time; registrations, probe results and timers ask
// for another pass instead of acting on the router themselves (except the stop
// after a failed probe, which cannot wait).
import type { kube } from '@mikrotik-kube/proto';
import { onRestart } from './backoff';
import type { SupervisorMetrics } from './metrics';
import type { ContainerPhase, RouterPort } from './router';
import { planStarts } from './scheduler';
import type { PersistedUnit, StateFile } from './state-file';
import { bootOrder, CycleError, findCycle } from './toposort';
import { UnitProbes } from './unit-probes';
import { UnitRecord, type UnitState } from './unit-state';
import { dependentsToRestart, handleExit, noteHealthy, type WatchdogPolicy } from './watchdog';

export interface LoggerLike {
  debug(msg: string, meta?: object): unknown;
  info(msg: string, meta?: object): unknown;
  warn(msg: string, meta?: object): unknown;
  error(msg: string, meta?: object): unknown;
}

export interface SupervisorOptions {
  router: RouterPort;
  logger: LoggerLike;
  metrics: SupervisorMetrics;
  stateFile?: StateFile;
  pollIntervalMs: number;
  maxParallelStarts: number;
  /** A just-started container may still read `stopped` this long without counting as an exit. */
  startGraceMs: number;
  watchdog: WatchdogPolicy;
}

/** Uptime may read a little lower between polls (second granularity). */
const UPTIME_SLACK_MS = 2_000;
const DOWN: ReadonlySet<ContainerPhase> = new Set(['stopped', 'error']);
const UP: ReadonlySet<ContainerPhase> = new Set(['running', 'starting']);

export class Supervisor {
  private readonly units = new Map<string, UnitRecord>();
  private ordered: UnitRecord[] = [];
  private readonly probes = new Map<UnitRecord, UnitProbes>();
  private readonly everReady = new Set<UnitRecord>();
  private readonly stopping = new Set<UnitRecord>();
  private readonly restartPending = new Set<UnitRecord>();
  private readonly startIssuedMs = new Map<UnitRecord, number>();
  private readonly listeners = new Set<(s: kube.UnitStatus) => void>();
  private phases = new Map<string, ContainerPhase>();
  private seq = 0;
  private lastUptimeMs: number | undefined;
  private active = false;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private again = false;
  private dirty = false;

  constructor(private readonly o: SupervisorOptions) {
    // Read at once so a corrupt file stops the process at start, not at its first leadership.
    this.load();
  }

  /** Replaces the in-memory units with the state file's (another replica may have written it). */
  private load(): void {
    if (!this.o.stateFile) return;
    const saved = this.o.stateFile.load().units;
    for (const u of this.units.values()) {
      this.dropProbes(u);
      if (!saved.some((p) => p.spec.name === u.name)) this.o.metrics.removed(u.name);
    }
    for (const set of [this.everReady, this.stopping, this.restartPending]) set.clear();
    this.startIssuedMs.clear();
    this.units.clear();
    for (const p of saved) this.restore(p);
    this.reorder();
  }

  // ---- registry -------------------------------------------------------------

  /** Adds or replaces a unit; throws CycleError if it would close a cycle. */
  register(spec: kube.Unit__Output): kube.UnitStatus {
    const existing = this.units.get(spec.name);
    if (existing && JSON.stringify(existing.spec) === JSON.stringify(spec)) return existing.status();
    const others = [...this.units.values()].filter((u) => u.name !== spec.name);
    const cycle = findCycle([...others.map((u) => ({ name: u.name, dependsOn: u.spec.depends_on })), { name: spec.name, dependsOn: spec.depends_on }]);
    if (cycle) throw new CycleError(cycle);
    let u = existing;
    if (u) {
      this.replaceSpec(u, spec);
    } else {
      u = new UnitRecord(spec, this.seq++);
      this.units.set(spec.name, u);
      this.o.logger.info('unit registered', { unit: spec.name, container: spec.container });
    }
    this.reorder();
    this.changed(u);
    this.persist();
    this.kick();
    return u.status();
  }

  private replaceSpec(u: UnitRecord, spec: kube.Unit__Output): void {
    const containerChanged = u.spec.container !== spec.container;
    this.dropProbes(u);
    u.spec = spec;
    this.o.logger.info('unit updated', { unit: u.name });
    if (u.state === 'UNIT_STATE_FAILED' || u.state === 'UNIT_STATE_STOPPED' || containerChanged) {
      // A new spec gets a fresh restart budget.
      u.history.recent = [];
      u.history.consecutive = 0;
      this.restartPending.delete(u);
      u.transition('UNIT_STATE_PENDING', 'Reregistered', 'spec changed');
    } else if (u.active) {
      const probes = this.attachProbes(u);
      if (u.state === 'UNIT_STATE_RUNNING') probes.startRunning();
      else probes.startBoot();
    }
  }

  /** Stops supervising (the container is left as it is). */
  unregister(name: string): boolean {
    const u = this.units.get(name);
    if (!u) return false;
    this.dropProbes(u);
    this.units.delete(name);
    for (const set of [this.everReady, this.stopping, this.restartPending]) set.delete(u);
    this.startIssuedMs.delete(u);
    this.reorder();
    this.o.metrics.removed(name);
    const last = { ...u.status(), reason: 'Unregistered', message: 'no longer supervised', last_transition_ms: Date.now() };
    for (const l of this.listeners) l(last);
    this.persist();
    this.o.logger.info('unit unregistered', { unit: name });
    this.kick();
    return true;
  }

  get(name: string): UnitRecord | undefined {
    return this.units.get(name);
  }

  /** Units in boot order. */
  list(): readonly UnitRecord[] {
    return this.ordered;
  }

  /** Calls `fn` with every status change until the returned function is called. */
  watch(fn: (s: kube.UnitStatus) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  // ---- activity (leadership) --------------------------------------------------

  get isActive(): boolean {
    return this.active;
  }

  /** Starts acting on the router (this replica leads). */
  activate(): void {
    if (this.active) return;
    try {
      this.load();
    } catch (err) {
      this.o.logger.error('state file unreadable; keeping the units in memory', { error: (err as Error).message });
    }
    this.active = true;
    this.o.logger.info('supervisor active', { units: this.units.size });
    this.kick();
  }

  /** Stops acting (lost leadership, shutdown): probes stop, containers are left alone. */
  async deactivate(reason: string): Promise<void> {
    if (!this.active) return;
    this.active = false;
    clearTimeout(this.timer);
    await this.pass;
    for (const u of this.units.values()) {
      this.dropProbes(u);
      if (u.active || u.state === 'UNIT_STATE_BACKOFF') this.set(u, 'UNIT_STATE_PENDING', 'Standby', reason);
    }
    this.lastUptimeMs = undefined;
    this.persist();
    this.o.logger.info('supervisor standing by', { reason });
  }

  /** Asks for a reconcile pass as soon as possible. */
  kick(): void {
    if (!this.active) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.pass = this.loop();
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.reconcile();
      } catch (err) {
        this.o.logger.error('reconcile failed', { error: (err as Error).message });
      }
    } while (this.again && this.active);
    this.pass = undefined;
    if (this.active) this.timer = setTimeout(() => this.kick(), this.nextWakeMs());
  }

  /** The poll interval, or sooner when a backoff ends first. */
  private nextWakeMs(): number {
    const now = Date.now();
    let wake = this.o.pollIntervalMs;
    for (const u of this.units.values()) {
      if (u.state === 'UNIT_STATE_BACKOFF') wake = Math.min(wake, Math.max(0, u.nextRestartMs - now));
    }
    return wake;
  }

  // ---- reconcile --------------------------------------------------------------

  private async reconcile(): Promise<void> {
    let phases: Map<string, ContainerPhase>;
    let uptime: number;
    try {
      [phases, uptime] = await Promise.all([this.o.router.containers(), this.o.router.uptimeMs()]);
    } catch (err) {
      this.o.metrics.routerErrors.inc();
      this.o.logger.warn('router poll failed', { error: (err as Error).message });
      return;
    }
    if (!this.active) return;
    this.phases = phases;
    if (this.lastUptimeMs !== undefined && uptime + UPTIME_SLACK_MS < this.lastUptimeMs) this.rebooted(uptime);
    this.lastUptimeMs = uptime;

    const now = Date.now();
    for (const u of this.ordered) this.observe(u, phases.get(u.spec.container) ?? 'missing', now);

    const plan = planStarts({
      ordered: this.ordered,
      byName: this.units,
      phases,
      everReady: this.everReady,
      stopping: this.stopping,
      maxParallel: this.o.maxParallelStarts,
      now,
    });
    for (const [u, wait] of plan.waiting) this.set(u, 'UNIT_STATE_PENDING', wait.reason, wait.message);
    await Promise.all(plan.start.map((u) => this.startUnit(u)));
    if (this.dirty) this.persist();
  }

  /** Brings a unit's state in line with what the router reports for its container. */
  private observe(u: UnitRecord, phase: ContainerPhase, now: number): void {
    if (DOWN.has(phase) || phase === 'missing') this.stopping.delete(u);
    switch (u.state) {
      case 'UNIT_STATE_PENDING':
      case 'UNIT_STATE_STOPPED':
      case 'UNIT_STATE_BACKOFF':
        // Running without the supervisor having started it now: the supervisor restarted, the
        // router started it on boot, or someone started it by hand. Take it over.
        if (UP.has(phase) && !this.stopping.has(u)) this.adopt(u, phase, now);
        return;
      case 'UNIT_STATE_STARTING':
      case 'UNIT_STATE_RUNNING':
        if (phase === 'missing') {
          this.dropProbes(u);
          this.set(u, 'UNIT_STATE_PENDING', 'ContainerNotFound', `no container named ${u.spec.container} on the router`);
        } else if (DOWN.has(phase)) {
          const grace = now - (this.startIssuedMs.get(u) ?? 0) < this.o.startGraceMs;
          if (!grace) this.fail(u, `container ${phase === 'error' ? 'failed' : 'exited'} (RouterOS: ${phase})`, false);
        } else if (phase === 'running' && u.state === 'UNIT_STATE_STARTING' && !this.probes.get(u)?.hasStartup) {
          this.toRunning(u, now);
        } else if (phase === 'running' && noteHealthy(u, this.o.watchdog, now)) {
          this.dirty = true;
        }
        return;
      case 'UNIT_STATE_FAILED':
        return;
    }
  }

  private adopt(u: UnitRecord, phase: ContainerPhase, now: number): void {
    this.restartPending.delete(u);
    this.set(u, 'UNIT_STATE_STARTING', 'Adopted', 'container already running on the router');
    this.o.logger.info('unit adopted', { unit: u.name, container: u.spec.container });
    if (!u.startedMs) u.startedMs = now;
    this.startIssuedMs.set(u, now);
    this.attachProbes(u).startBoot();
    if (phase === 'running' && !this.probes.get(u)?.hasStartup) this.toRunning(u, now);
  }

  private async startUnit(u: UnitRecord): Promise<void> {
    const restart = this.restartPending.has(u);
    try {
      await this.o.router.start(u.spec.container);
    } catch (err) {
      if (this.units.get(u.name) !== u) return;
      const msg = (err as Error).message;
      if (this.o.router.isTransient(err)) {
        this.set(u, 'UNIT_STATE_PENDING', 'RouterUnavailable', `start failed, will retry: ${msg}`);
      } else {
        this.fail(u, `start failed: ${msg}`, false);
      }
      return;
    }
    if (this.units.get(u.name) !== u || !this.active) return;
    const now = Date.now();
    this.restartPending.delete(u);
    this.stopping.delete(u);
    this.everReady.delete(u);
    this.startIssuedMs.set(u, now);
    u.startedMs = now;
    if (restart) {
      onRestart(u.history, now);
      this.o.metrics.restarted(u.name);
    }
    this.set(u, 'UNIT_STATE_STARTING', restart ? 'Restarted' : 'Started', '');
    this.o.logger.info(restart ? 'unit restarted' : 'unit started', { unit: u.name, container: u.spec.container, restarts: u.history.total });
    this.attachProbes(u).startBoot();
    if (restart) this.restartDependents(u, now);
    this.persist();
  }

  private toRunning(u: UnitRecord, now: number): void {
    u.runningSinceMs = now;
    this.set(u, 'UNIT_STATE_RUNNING', 'Running', '');
    const probes = this.probes.get(u);
    probes?.startRunning();
    if (!probes?.hasReadiness) this.markReady(u, true, '');
  }

  private markReady(u: UnitRecord, ready: boolean, detail: string): void {
    if (u.state !== 'UNIT_STATE_RUNNING') return;
    if (ready) this.everReady.add(u);
    const changed = u.setReady(ready);
    const explained = u.explain(ready ? 'Ready' : 'NotReady', detail);
    if (changed || explained) this.changed(u);
    // Dependents may now start, or a boot slot freed up.
    if (changed) this.kick();
  }

  /** The container went down or must go down: hand it to the watchdog. */
  private fail(u: UnitRecord, why: string, stopContainer: boolean): void {
    this.dropProbes(u);
    const decision = handleExit(u, why, this.o.watchdog, Date.now());
    if (decision.kind === 'backoff') this.restartPending.add(u);
    else this.restartPending.delete(u);
    this.changed(u);
    this.o.logger.warn('unit failed', { unit: u.name, decision: decision.kind, why, restarts: u.history.total });
    if (stopContainer) this.stopContainer(u);
    this.persist();
    this.kick();
  }

  private stopContainer(u: UnitRecord): void {
    this.stopping.add(u);
    this.o.router.stop(u.spec.container).catch((err: unknown) => {
      this.o.logger.warn('stop failed', { unit: u.name, error: (err as Error).message });
    });
  }

  /** restart_with_dependencies: dependents go down now and boot again once `u` is up. */
  private restartDependents(u: UnitRecord, now: number): void {
    for (const d of dependentsToRestart(this.units.values(), u.name)) {
      if (!d.active) continue;
      this.dropProbes(d);
      onRestart(d.history, now);
      this.o.metrics.restarted(d.name);
      this.set(d, 'UNIT_STATE_PENDING', 'DependencyRestarted', `${u.name} restarted`);
      this.stopContainer(d);
    }
  }

  /** The router rebooted: everything boots again in order, with a fresh restart budget. */
  private rebooted(uptime: number): void {
    this.o.metrics.reboots.inc();
    this.o.logger.warn('router rebooted; running the boot sequence again', { uptimeMs: uptime, previousMs: this.lastUptimeMs });
    for (const u of this.units.values()) {
      this.dropProbes(u);
      for (const set of [this.everReady, this.stopping, this.restartPending]) set.delete(u);
      u.history.consecutive = 0;
      u.history.recent = [];
      u.startedMs = 0;
      this.set(u, 'UNIT_STATE_PENDING', 'RouterRebooted', 'router rebooted; booting again');
    }
  }

  // ---- probes -----------------------------------------------------------------

  private attachProbes(u: UnitRecord): UnitProbes {
    this.dropProbes(u);
    const probes = new UnitProbes(
      u.spec,
      { address: u.spec.address, container: u.spec.container, routerStatus: (c) => this.o.router.phase(c) },
      {
        startupPassed: () => {
          if (this.probes.get(u) === probes && u.state === 'UNIT_STATE_STARTING') this.toRunning(u, Date.now());
        },
        failed: (kind, detail) => {
          if (this.probes.get(u) === probes && u.active) this.fail(u, `${kind} probe failed: ${detail}`, true);
        },
        readiness: (ready, detail) => {
          if (this.probes.get(u) === probes) this.markReady(u, ready, detail);
        },
        attempt: (a) => this.o.metrics.probe(u.name, a),
      },
    );
    this.probes.set(u, probes);
    return probes;
  }

  private dropProbes(u: UnitRecord): void {
    this.probes.get(u)?.stop();
    this.probes.delete(u);
  }

  // ---- bookkeeping --------------------------------------------------------------

  private set(u: UnitRecord, state: UnitState, reason: string, message = ''): void {
    if (u.transition(state, reason, message)) this.changed(u);
  }

  private changed(u: UnitRecord): void {
    this.dirty = true;
    this.o.metrics.unit(u);
    const s = u.status();
    for (const l of this.listeners) l(s);
  }

  private reorder(): void {
    const names = bootOrder([...this.units.values()].map((u) => ({ name: u.name, dependsOn: u.spec.depends_on, priority: u.spec.priority, seq: u.seq })));
    this.ordered = names.map((n) => this.units.get(n) as UnitRecord);
    this.ordered.forEach((u, i) => {
      if (u.bootIndex !== i) {
        u.bootIndex = i;
        this.changed(u);
      }
    });
  }

  private restore(p: PersistedUnit): void {
    const u = new UnitRecord(p.spec, p.seq, p.history);
    u.startedMs = p.startedMs;
    if (p.terminal) u.transition(p.terminal.state, p.terminal.reason, p.terminal.message);
    else u.explain('Recovering', 'restored from the state file');
    this.units.set(u.name, u);
    this.seq = Math.max(this.seq, p.seq + 1);
  }

  private persist(): void {
    this.dirty = false;
    if (!this.o.stateFile) return;
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
      this.o.stateFile.save({ version: 1, units });
    } catch (err) {
      this.o.logger.error('state file write failed', { error: (err as Error).message });
    }
  }
}
