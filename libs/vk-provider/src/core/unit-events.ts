// Kubernetes events for what the boot-supervisor reports about a pod's containers — Started,
// BackOff, Failed, the kubelet's events for the same transitions — from its Watch stream.
// Both modes feed it: cluster mode's recorder writes them to the API server, standalone's
// keeps them for the status page.
import type { PodRecord } from './reconciler';
import type { PodEvents, UnitStatus } from './services';

export class UnitEvents {
  /** Per unit: the status last seen, to tell a transition from a repeat. */
  private readonly last = new Map<string, UnitStatus>();

  constructor(
    private readonly records: () => Iterable<PodRecord>,
    private readonly events: PodEvents,
  ) {}

  changed(s: UnitStatus): void {
    const prev = this.last.get(s.name);
    this.last.set(s.name, s);
    const owners = this.owners();
    // Units no pod has any more are forgotten (pods are few; this is cheap).
    for (const u of this.last.keys()) if (!owners.has(u)) this.last.delete(u);
    const owner = owners.get(s.name);
    if (!owner) return;
    const [key, container] = owner;
    if (s.state === 'UNIT_STATE_RUNNING' && (prev?.state !== 'UNIT_STATE_RUNNING' || prev.started_ms !== s.started_ms)) {
      this.events.emit(key, container, 'Normal', 'Started', `Started container ${container}`);
    } else if (s.state === 'UNIT_STATE_BACKOFF' && prev?.state !== 'UNIT_STATE_BACKOFF') {
      this.events.emit(key, container, 'Warning', 'BackOff', `Back-off restarting failed container ${container}${s.message ? `: ${s.message}` : ''}`);
    } else if (s.state === 'UNIT_STATE_FAILED' && prev?.state !== 'UNIT_STATE_FAILED') {
      this.events.emit(key, container, 'Warning', 'Failed', `Container ${container} failed: ${s.reason}${s.message ? `: ${s.message}` : ''}`);
    }
  }

  /** unit → [pod key, container name] */
  private owners(): Map<string, [string, string]> {
    const out = new Map<string, [string, string]>();
    for (const r of this.records()) for (const c of r.plan?.containers ?? []) out.set(c.unit, [r.key, c.name]);
    return out;
  }
}
