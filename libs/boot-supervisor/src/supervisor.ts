// The supervisor engine: keeps the registered units, polls the router, walks
// each unit through its life cycle, starts units in boot order through the
// scheduler, runs their probes and hands failures to the watchdog. One
// reconcile pass runs at a time; registrations, probe results and timers ask
// for another pass instead of acting on the router themselves (except the stop
// after a failed probe, which cannot wait).
import type { kube } from '@mikrotik-kube/proto';
import type { Logger } from '@mikrotik-kube/service-kit';
import { onRestart } from './backoff';
import type { SupervisorMetrics } from './metrics';
import type { ContainerPhase, RouterPort } from './router';
import { planStarts } from './scheduler';
import type { StateFile } from './state-file';
import { UnitProbes } from './unit-probes';
import type { UnitRecord } from './unit-state';
import { UnitTable } from './unit-table';
import { dependentsToRestart, handleExit, noteHealthy, type WatchdogPolicy } from './watchdog';

export interface SupervisorOptions {
  router: RouterPort;
  logger: Logger;
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
  private readonly table: UnitTable;
  private readonly probes = new Map<UnitRecord, UnitProbes>();
  private readonly everReady = new Set<UnitRecord>();
  private readonly stopping = new Set<UnitRecord>();
  private readonly restartPending = new Set<UnitRecord>();
  private readonly startIssuedMs = new Map<UnitRecord, number>();
  private phases = new Map<string, ContainerPhase>();
  private lastUptimeMs: number | undefined;
  private active = false;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private again = false;

  constructor(private readonly o: SupervisorOptions) {
    this.table = new UnitTable(o.metrics, o.logger, o.stateFile);
    // Read at once so a corrupt file stops the process at start, not at its first leadership.
    this.table.load();
  }

  /** Adds or replaces a unit; throws CycleError if it would close a cycle. */
  register(spec: kube.Unit__Output): kube.UnitStatus {
    const change = this.table.upsert(spec);
    if (!change) return (this.table.byName.get(spec.name) as UnitRecord).status();
    const { unit: u, previous } = change;
    if (previous) this.respec(u, previous);
    this.o.logger.info(previous ? 'unit updated' : 'unit registered', { unit: u.name, container: u.spec.container });
    this.table.reorder();
    this.table.changed(u);
    this.table.persist();
    this.kick();
    return u.status();
  }

  /** A running unit keeps running under a new spec; its probes start over. */
  private respec(u: UnitRecord, previous: kube.Unit__Output): void {
    const containerChanged = u.spec.container !== previous.container;
    this.dropProbes(u);
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
    const u = this.table.byName.get(name);
    if (!u) return false;
    this.dropProbes(u);
    this.forget(u);
    this.table.remove(name);
    this.o.logger.info('unit unregistered', { unit: name });
    this.kick();
    return true;
  }

  /** Clears the engine's per-unit bookkeeping. */
  private forget(u: UnitRecord): void {
    for (const set of [this.everReady, this.stopping, this.restartPending]) set.delete(u);
    this.startIssuedMs.delete(u);
  }

  get(name: string): UnitRecord | undefined {
    return this.table.byName.get(name);
  }

  /** Units in boot order. */
  list(): readonly UnitRecord[] {
    return this.table.list();
  }

  /** Calls `fn` with every status change until the returned function is called. */
  watch(fn: (s: kube.UnitStatus) => void): () => void {
    return this.table.watch(fn);
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Starts acting on the router (this replica leads). */
  activate(): void {
    if (this.active) return;
    for (const u of this.table.byName.values()) {
      this.dropProbes(u);
      this.forget(u);
    }
    try {
      this.table.load();
    } catch (err) {
      this.o.logger.error('state file unreadable; keeping the units in memory', { error: (err as Error).message });
    }
    this.active = true;
    this.o.logger.info('supervisor active', { units: this.table.byName.size });
    this.kick();
  }

  /** Stops acting (lost leadership, shutdown): probes stop, containers are left alone. */
  async deactivate(reason: string): Promise<void> {
    if (!this.active) return;
    this.active = false;
    clearTimeout(this.timer);
    await this.pass;
    for (const u of this.table.byName.values()) {
      this.dropProbes(u);
      if (u.active || u.state === 'UNIT_STATE_BACKOFF') this.table.set(u, 'UNIT_STATE_PENDING', 'Standby', reason);
    }
    this.lastUptimeMs = undefined;
    this.table.persist();
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
    for (const u of this.table.byName.values()) {
      if (u.state === 'UNIT_STATE_BACKOFF') wake = Math.min(wake, Math.max(0, u.nextRestartMs - now));
    }
    return wake;
  }

  private async reconcile(): Promise<void> {
    let phases: Map<string, ContainerPhase>;
    let uptime: number;
    try {
      [phases, uptime] = await Promise.all([this.o.router.containers(), this.o.router.uptimeMs()]);
    } catch (err) {
      this.o.metrics.routerPolls.inc({ result: 'error' });
      this.o.logger.warn('router poll failed', { error: (err as Error).message });
      return;
    }
    this.o.metrics.routerPolls.inc({ result: 'ok' });
    if (!this.active) return;
    this.phases = phases;
    if (this.lastUptimeMs !== undefined && uptime + UPTIME_SLACK_MS < this.lastUptimeMs) this.rebooted(uptime);
    this.lastUptimeMs = uptime;

    const now = Date.now();
    for (const u of this.table.list()) this.observe(u, phases.get(u.spec.container) ?? 'missing', now);

    const plan = planStarts({
      ordered: this.table.list(),
      byName: this.table.byName,
      phases,
      everReady: this.everReady,
      stopping: this.stopping,
      maxParallel: this.o.maxParallelStarts,
      now,
    });
    for (const [u, wait] of plan.waiting) this.table.set(u, 'UNIT_STATE_PENDING', wait.reason, wait.message);
    await Promise.all(plan.start.map((u) => this.startUnit(u)));
    if (this.table.dirty) this.table.persist();
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
          this.table.set(u, 'UNIT_STATE_PENDING', 'ContainerNotFound', `no container named ${u.spec.container} on the router`);
        } else if (DOWN.has(phase)) {
          const grace = now - (this.startIssuedMs.get(u) ?? 0) < this.o.startGraceMs;
          if (!grace) this.fail(u, `container ${phase === 'error' ? 'failed' : 'exited'} (RouterOS: ${phase})`, false);
        } else if (phase === 'running' && u.state === 'UNIT_STATE_STARTING' && !this.probes.get(u)?.hasStartup) {
          this.toRunning(u, now);
        } else if (phase === 'running' && noteHealthy(u, this.o.watchdog, now)) {
          this.table.dirty = true;
        }
        return;
      case 'UNIT_STATE_FAILED':
        return;
    }
  }

  private adopt(u: UnitRecord, phase: ContainerPhase, now: number): void {
    this.restartPending.delete(u);
    this.everReady.delete(u);
    this.table.set(u, 'UNIT_STATE_STARTING', 'Adopted', 'container already running on the router');
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
      if (this.table.byName.get(u.name) !== u) return;
      const msg = (err as Error).message;
      if (this.o.router.isTransient(err)) {
        this.table.set(u, 'UNIT_STATE_PENDING', 'RouterUnavailable', `start failed, will retry: ${msg}`);
      } else {
        this.fail(u, `start failed: ${msg}`, false);
      }
      return;
    }
    if (this.table.byName.get(u.name) !== u || !this.active) return;
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
    this.table.set(u, 'UNIT_STATE_STARTING', restart ? 'Restarted' : 'Started', '');
    this.o.logger.info(restart ? 'unit restarted' : 'unit started', { unit: u.name, container: u.spec.container, restarts: u.history.total });
    this.attachProbes(u).startBoot();
    if (restart) this.restartDependents(u, now);
    this.table.persist();
  }

  private toRunning(u: UnitRecord, now: number): void {
    u.runningSinceMs = now;
    this.table.set(u, 'UNIT_STATE_RUNNING', 'Running', '');
    const probes = this.probes.get(u);
    probes?.startRunning();
    if (!probes?.hasReadiness) this.markReady(u, true, '');
  }

  private markReady(u: UnitRecord, ready: boolean, detail: string): void {
    if (u.state !== 'UNIT_STATE_RUNNING') return;
    if (ready) this.everReady.add(u);
    const changed = u.setReady(ready);
    const explained = u.explain(ready ? 'Ready' : 'NotReady', detail);
    if (changed || explained) this.table.changed(u);
    // Dependents may now start, or a boot slot freed up.
    if (changed) this.kick();
  }

  /** The container went down or must go down: hand it to the watchdog. */
  private fail(u: UnitRecord, why: string, stopContainer: boolean): void {
    this.dropProbes(u);
    const decision = handleExit(u, why, this.o.watchdog, Date.now());
    if (decision.kind === 'backoff') this.restartPending.add(u);
    else this.restartPending.delete(u);
    this.table.changed(u);
    this.o.logger.warn('unit failed', { unit: u.name, decision: decision.kind, why, restarts: u.history.total });
    if (stopContainer) this.stopContainer(u);
    this.table.persist();
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
    for (const d of dependentsToRestart(this.table.byName.values(), u.name)) {
      if (!d.active) continue;
      this.dropProbes(d);
      onRestart(d.history, now);
      this.o.metrics.restarted(d.name);
      this.table.set(d, 'UNIT_STATE_PENDING', 'DependencyRestarted', `${u.name} restarted`);
      this.stopContainer(d);
    }
  }

  /** The router rebooted: everything boots again in order, with a fresh restart budget. */
  private rebooted(uptime: number): void {
    this.o.metrics.reboots.inc();
    this.o.logger.warn('router rebooted; running the boot sequence again', { uptimeMs: uptime, previousMs: this.lastUptimeMs });
    for (const u of this.table.byName.values()) {
      this.dropProbes(u);
      for (const set of [this.everReady, this.stopping, this.restartPending]) set.delete(u);
      u.history.consecutive = 0;
      u.history.recent = [];
      u.startedMs = 0;
      this.table.set(u, 'UNIT_STATE_PENDING', 'RouterRebooted', 'router rebooted; booting again');
    }
  }

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
}
