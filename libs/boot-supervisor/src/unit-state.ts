// One supervised unit: its spec, where it is in its life cycle and why.
// Transitions are checked against the life cycle below so a logic slip shows
// up as an error, not as a unit quietly in an impossible state.
//
//   PENDING ──start──▶ STARTING ──startup ok──▶ RUNNING
//      ▲                  │  exit/liveness fail     │
//      │                  ▼                         ▼
//      └──── (deps / reboot) ── BACKOFF ◀───────────┘
//                               │ budget spent / policy
//                               ▼
//                        FAILED / STOPPED
import type { kube } from '@mikrotik-kube/proto';
import { emptyHistory, type RestartHistory } from './backoff';

export type UnitState = kube.UnitState__Output;

const ALLOWED: Record<UnitState, readonly UnitState[]> = {
  UNIT_STATE_PENDING: ['UNIT_STATE_STARTING', 'UNIT_STATE_BACKOFF', 'UNIT_STATE_FAILED', 'UNIT_STATE_STOPPED'],
  UNIT_STATE_STARTING: ['UNIT_STATE_RUNNING', 'UNIT_STATE_BACKOFF', 'UNIT_STATE_FAILED', 'UNIT_STATE_STOPPED', 'UNIT_STATE_PENDING'],
  UNIT_STATE_RUNNING: ['UNIT_STATE_BACKOFF', 'UNIT_STATE_FAILED', 'UNIT_STATE_STOPPED', 'UNIT_STATE_PENDING'],
  UNIT_STATE_BACKOFF: ['UNIT_STATE_STARTING', 'UNIT_STATE_PENDING', 'UNIT_STATE_FAILED', 'UNIT_STATE_STOPPED'],
  UNIT_STATE_STOPPED: ['UNIT_STATE_PENDING', 'UNIT_STATE_STARTING'],
  UNIT_STATE_FAILED: ['UNIT_STATE_PENDING'],
};

export class UnitRecord {
  state: UnitState = 'UNIT_STATE_PENDING';
  ready = false;
  reason = 'Registered';
  message = '';
  lastTransitionMs: number;
  nextRestartMs = 0;
  startedMs = 0;
  bootIndex = -1;
  /** When the container was last seen to become running (backoff reset). */
  runningSinceMs = 0;

  constructor(
    public spec: kube.Unit__Output,
    /** Registration sequence (stable tie-break in the boot order). */
    public readonly seq: number,
    public history: RestartHistory = emptyHistory(),
    now = Date.now(),
  ) {
    this.lastTransitionMs = now;
  }

  get name(): string {
    return this.spec.name;
  }

  /** Moves to `state` with a reason; returns whether anything visible changed. */
  transition(state: UnitState, reason: string, message = '', now = Date.now()): boolean {
    if (state === this.state) return this.explain(reason, message);
    if (!ALLOWED[this.state].includes(state)) {
      throw new Error(`unit ${this.name}: illegal transition ${short(this.state)} -> ${short(state)} (${reason})`);
    }
    this.state = state;
    this.reason = reason;
    this.message = message;
    this.lastTransitionMs = now;
    if (state !== 'UNIT_STATE_BACKOFF') this.nextRestartMs = 0;
    if (state !== 'UNIT_STATE_RUNNING') this.ready = false;
    return true;
  }

  /** Updates reason/message within the same state. */
  explain(reason: string, message = ''): boolean {
    if (reason === this.reason && message === this.message) return false;
    this.reason = reason;
    this.message = message;
    return true;
  }

  setReady(ready: boolean): boolean {
    if (ready === this.ready) return false;
    this.ready = ready;
    return true;
  }

  /** Running and ready: what dependents wait for. */
  get up(): boolean {
    return this.state === 'UNIT_STATE_RUNNING' && this.ready;
  }

  /** Started (or starting) on the router as far as the supervisor is concerned. */
  get active(): boolean {
    return this.state === 'UNIT_STATE_STARTING' || this.state === 'UNIT_STATE_RUNNING';
  }

  status(): kube.UnitStatus {
    return {
      name: this.name,
      container: this.spec.container,
      state: this.state,
      ready: this.ready,
      restart_count: this.history.total,
      reason: this.reason,
      message: this.message,
      last_transition_ms: this.lastTransitionMs,
      next_restart_ms: this.nextRestartMs,
      boot_index: this.bootIndex,
      started_ms: this.startedMs,
    };
  }
}

export const short = (s: UnitState) => s.replace('UNIT_STATE_', '');
