// Where this replica's kubelet serving CSR is, for people who look at the Node rather than at
// logs or metrics: an Event on the Node at each step, and the latest step for the Node
// condition (node-shape.ts servingCsrCondition) that the node loop publishes.
import type { EventType } from '../core/services';
import type { CsrPhase, CsrProgress } from './serving-cert';

export interface CsrState extends CsrProgress {
  /** When the condition last flipped between waiting and not. */
  since: Date;
}

const EVENTS: Record<Exclude<CsrPhase, 'Stopped'>, [EventType, string]> = {
  Pending: ['Normal', 'ServingCSRPending'],
  Approved: ['Normal', 'ServingCSRApproved'],
  Issued: ['Normal', 'ServingCertificateIssued'],
  Denied: ['Warning', 'ServingCSRDenied'],
  Failed: ['Warning', 'ServingCSRFailed'],
};

export const csrWaiting = (phase: CsrPhase) => phase === 'Pending' || phase === 'Approved';

export class ServingCsrStatus {
  private state: CsrState | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly events: { emitNode(type: EventType, reason: string, message: string): void }) {}

  get current(): CsrState | undefined {
    return this.state;
  }

  update(p: CsrProgress): void {
    // Shutdown or a failing API server: nothing the Node should say.
    if (p.phase === 'Stopped') return;
    const flipped = !this.state || csrWaiting(this.state.phase) !== csrWaiting(p.phase);
    this.state = { ...p, since: flipped ? new Date() : (this.state?.since ?? new Date()) };
    const [type, reason] = EVENTS[p.phase];
    this.events.emitNode(type, reason, p.message);
    for (const l of this.listeners) l();
  }

  /** Calls `fn` after each update; returns the unsubscribe. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
