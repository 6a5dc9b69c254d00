// The probes of one unit, gated like the kubelet's: the startup probe runs
// alone until it passes; then liveness and readiness run. A failed startup or
// liveness probe asks for a restart; readiness only flips `ready`.
import type { kube } from '@mikrotik-kube/proto';
import type { ProbeContext } from './probe-actions';
import { ProbeRunner, probeSettings, type ProbeAttempt, type ProbeKind } from './probes';

export interface UnitProbeEvents {
  startupPassed(): void;
  failed(kind: 'startup' | 'liveness', detail: string): void;
  readiness(ready: boolean, detail: string): void;
  attempt(attempt: ProbeAttempt): void;
}

export class UnitProbes {
  private readonly runners = new Map<ProbeKind, ProbeRunner>();
  private stopped = false;

  constructor(
    private readonly spec: kube.Unit__Output,
    private readonly context: ProbeContext,
    private readonly events: UnitProbeEvents,
  ) {}

  get hasStartup(): boolean {
    return this.spec.startup_probe !== null;
  }

  get hasReadiness(): boolean {
    return this.spec.readiness_probe !== null;
  }

  /** Called when the container was started: runs the startup probe, if any. */
  startBoot(): void {
    if (this.spec.startup_probe) {
      this.run('startup', this.spec.startup_probe, (ok, a) => {
        if (!ok) return this.events.failed('startup', a.detail);
        this.halt('startup');
        this.events.startupPassed();
      });
    }
  }

  /** Called once the container runs and startup passed: liveness and readiness. */
  startRunning(): void {
    if (this.spec.liveness_probe) {
      this.run('liveness', this.spec.liveness_probe, (ok, a) => {
        if (!ok) this.events.failed('liveness', a.detail);
      });
    }
    if (this.spec.readiness_probe) {
      this.run('readiness', this.spec.readiness_probe, (ok, a) => this.events.readiness(ok, a.detail));
    }
  }

  stop(): void {
    this.stopped = true;
    for (const kind of [...this.runners.keys()]) this.halt(kind);
  }

  /** The last attempt of each running probe (for status messages). */
  last(kind: ProbeKind): ProbeAttempt | undefined {
    return this.runners.get(kind)?.lastAttempt;
  }

  private halt(kind: ProbeKind): void {
    this.runners.get(kind)?.stop();
    this.runners.delete(kind);
  }

  private run(kind: ProbeKind, probe: kube.Probe__Output, onChange: (ok: boolean, a: ProbeAttempt) => void): void {
    if (this.stopped || this.runners.has(kind)) return;
    const runner = new ProbeRunner({
      kind,
      settings: probeSettings(probe),
      context: this.context,
      onChange,
      onAttempt: (a) => this.events.attempt(a),
    });
    this.runners.set(kind, runner);
    runner.start();
  }
}
