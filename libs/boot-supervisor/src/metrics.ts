// Prometheus metrics of the supervisor: unit states and readiness, restarts,
// probe results and latency, router polls and reboots seen.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ProbeAttempt } from './probes';
import type { UnitRecord, UnitState } from './unit-state';

const STATES: UnitState[] = [
  'UNIT_STATE_PENDING',
  'UNIT_STATE_STARTING',
  'UNIT_STATE_RUNNING',
  'UNIT_STATE_BACKOFF',
  'UNIT_STATE_STOPPED',
  'UNIT_STATE_FAILED',
];

export class SupervisorMetrics {
  private readonly state: Gauge<'unit' | 'state'>;
  private readonly ready: Gauge<'unit'>;
  private readonly restarts: Counter<'unit'>;
  private readonly probes: Counter<'unit' | 'probe' | 'result'>;
  private readonly probeSeconds: Histogram<'probe'>;
  readonly reboots: Counter;
  readonly routerPolls: Counter<'result'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.state = new Gauge({
      name: 'mikrotik_kube_boot_supervisor_unit_state',
      help: 'Current state of each unit (1 for the state it is in).',
      labelNames: ['unit', 'state'],
      registers,
    });
    this.ready = new Gauge({ name: 'mikrotik_kube_boot_supervisor_unit_ready', help: 'Whether the unit is ready.', labelNames: ['unit'], registers });
    this.restarts = new Counter({
      name: 'mikrotik_kube_boot_supervisor_restarts_total',
      help: 'Container restarts issued by the watchdog.',
      labelNames: ['unit'],
      registers,
    });
    this.probes = new Counter({
      name: 'mikrotik_kube_boot_supervisor_probe_results_total',
      help: 'Probe attempts by unit, probe kind and result.',
      labelNames: ['unit', 'probe', 'result'],
      registers,
    });
    this.probeSeconds = new Histogram({
      name: 'mikrotik_kube_boot_supervisor_probe_duration_seconds',
      help: 'Probe attempt latency.',
      labelNames: ['probe'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.reboots = new Counter({ name: 'mikrotik_kube_boot_supervisor_router_reboots_total', help: 'Router reboots detected (uptime went back).', registers });
    // Both outcomes, so "no poll succeeded lately" is expressible (the router-unreachable alert).
    this.routerPolls = new Counter({ name: 'mikrotik_kube_boot_supervisor_router_polls_total', help: 'Polls of the router by result (ok, error).', labelNames: ['result'], registers });
  }

  unit(u: UnitRecord): void {
    for (const s of STATES) this.state.set({ unit: u.name, state: s }, s === u.state ? 1 : 0);
    this.ready.set({ unit: u.name }, u.ready ? 1 : 0);
  }

  removed(name: string): void {
    for (const s of STATES) this.state.remove({ unit: name, state: s });
    this.ready.remove({ unit: name });
  }

  restarted(name: string): void {
    this.restarts.inc({ unit: name });
  }

  probe(unit: string, a: ProbeAttempt): void {
    this.probes.inc({ unit, probe: a.kind, result: a.ok ? 'success' : 'failure' });
    this.probeSeconds.observe({ probe: a.kind }, a.seconds);
  }
}
