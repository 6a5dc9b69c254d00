// Probe runner with kubelet semantics: first attempt after initialDelay, then
// every period; each attempt bounded by timeout; the result flips to failure
// after failureThreshold consecutive failures and to success after
// successThreshold consecutive successes. Liveness starts out successful,
// readiness and startup start out unknown (not yet successful).
import type { kube } from '@mikrotik-kube/proto';
import { runAction, type ProbeContext, type ProbeHandler, type ProbeOutcome } from './probe-actions';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

export interface ProbeSettings {
  handler: ProbeHandler;
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  failureThreshold: number;
  successThreshold: number;
}

/** Kubelet defaults for zero values (period 10 s, timeout 1 s, failure 3, success 1). */
export function probeSettings(p: kube.Probe__Output): ProbeSettings {
  return {
    handler: probeHandler(p),
    initialDelayMs: p.initial_delay_seconds * 1000,
    periodMs: (p.period_seconds || 10) * 1000,
    timeoutMs: (p.timeout_seconds || 1) * 1000,
    failureThreshold: p.failure_threshold || 3,
    successThreshold: p.success_threshold || 1,
  };
}

function probeHandler(p: kube.Probe__Output): ProbeHandler {
  if (p.handler === 'http_get' && p.http_get) return { kind: 'http', action: p.http_get };
  if (p.handler === 'tcp_socket' && p.tcp_socket) return { kind: 'tcp', action: p.tcp_socket };
  if (p.handler === 'routeros_status') return { kind: 'routeros' };
  throw new Error('probe has no handler (http_get, tcp_socket or routeros_status)');
}

export interface ProbeAttempt extends ProbeOutcome {
  kind: ProbeKind;
  seconds: number;
}

export interface ProbeRunnerOptions {
  kind: ProbeKind;
  settings: ProbeSettings;
  context: ProbeContext;
  /** Called when the thresholded result changes. */
  onChange(success: boolean, last: ProbeAttempt): void;
  /** Called after every attempt (metrics). */
  onAttempt?(attempt: ProbeAttempt): void;
}

export class ProbeRunner {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  /** Thresholded result; undefined until decided. */
  private current: boolean | undefined;
  lastAttempt: ProbeAttempt | undefined;

  constructor(private readonly o: ProbeRunnerOptions) {
    if (o.kind === 'liveness') this.current = true;
  }

  get result(): boolean | undefined {
    return this.current;
  }

  start(): void {
    this.schedule(this.o.settings.initialDelayMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.attempt(), ms);
  }

  private async attempt(): Promise<void> {
    const { settings, context, kind } = this.o;
    const began = performance.now();
    let outcome: ProbeOutcome;
    try {
      outcome = await runAction(settings.handler, context, settings.timeoutMs);
    } catch (err) {
      outcome = { ok: false, detail: (err as Error).message };
    }
    if (this.stopped) return;
    const attempt: ProbeAttempt = { ...outcome, kind, seconds: (performance.now() - began) / 1000 };
    this.lastAttempt = attempt;
    this.o.onAttempt?.(attempt);
    if (attempt.ok) {
      this.successes += 1;
      this.failures = 0;
      if (this.current !== true && this.successes >= settings.successThreshold) this.flip(true, attempt);
    } else {
      this.failures += 1;
      this.successes = 0;
      if (this.current !== false && this.failures >= settings.failureThreshold) this.flip(false, attempt);
    }
    // The period counts from the start of the attempt, as in the kubelet.
    this.schedule(Math.max(0, settings.periodMs - (performance.now() - began)));
  }

  private flip(success: boolean, attempt: ProbeAttempt): void {
    this.current = success;
    this.o.onChange(success, attempt);
  }
}
