// Releases allocations whose owner is gone. An owner must be absent from the
// live list for the whole grace period (counted from the first Reconcile that
// missed it, and never from before this replica saw the allocation), so a pod
// that is being created while the caller took its list is not robbed.
import type { Allocator } from './allocator';

export interface ReconcileResult {
  released: string[];
  pending: string[];
}

export class Reconciler {
  private readonly absentSince = new Map<string, number>();

  constructor(
    private readonly allocator: Allocator,
    private readonly graceMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async reconcile(liveOwners: string[], dryRun: boolean): Promise<ReconcileResult> {
    // Other replicas allocate and release too: decide on the router's current state.
    await this.allocator.sync({ repair: !dryRun });
    const live = new Set(liveOwners);
    const now = this.clock();
    const allocations = this.allocator.allocations();
    const held = new Set(allocations.map((a) => a.owner));
    for (const owner of this.absentSince.keys()) if (!held.has(owner) || live.has(owner)) this.absentSince.delete(owner);
    const released: string[] = [];
    const pending: string[] = [];
    for (const a of allocations) {
      if (live.has(a.owner)) continue;
      const since = this.absentSince.get(a.owner) ?? now;
      this.absentSince.set(a.owner, since);
      if (now - Math.max(since, a.seenAt) >= this.graceMs) released.push(a.owner);
      else pending.push(a.owner);
    }
    if (!dryRun) {
      for (const owner of released) {
        await this.allocator.release(owner);
        this.absentSince.delete(owner);
      }
    }
    return { released: released.sort(), pending: pending.sort() };
  }
}
