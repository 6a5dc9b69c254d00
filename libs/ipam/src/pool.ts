// One network's address pool: which addresses are usable, which are taken,
// and where the sequential cursor stands. Pure bookkeeping — the router is
// the arbiter of who really holds an address (see allocator.ts).
import { type Network, intToIp } from './network';

/** Why a slot is not free. */
export const enum Slot {
  Free = 0,
  /** Never handed out: network, broadcast, gateway, exclusions (not counted in the pool size). */
  Excluded = 1,
  /** Held by one of our allocations. */
  Allocated = 2,
  /** Held by something that is not ours (an untagged veth, a foreign interface name). */
  Reserved = 3,
  /** Being claimed on the router right now by this replica. */
  Claiming = 4,
}

export class Pool {
  private readonly slots: Uint8Array;
  private readonly excludedCount: number;
  private takenCount = 0;
  /** Offset of the last address handed out; the next scan starts after it. */
  private cursor = -1;

  constructor(readonly network: Network) {
    const n = network.last - network.first + 1;
    this.slots = new Uint8Array(n);
    let excluded = 0;
    const exclude = (ip: number) => {
      const i = ip - network.first;
      if (i >= 0 && i < n && this.slots[i] !== Slot.Excluded) {
        this.slots[i] = Slot.Excluded;
        excluded++;
      }
    };
    exclude(network.base);
    exclude(network.broadcast);
    exclude(network.gateway);
    for (const [from, to] of network.excluded) {
      for (let ip = Math.max(from, network.first); ip <= Math.min(to, network.last); ip++) exclude(ip);
    }
    this.excludedCount = excluded;
  }

  /** Addresses the pool may hand out at most. */
  get size(): number {
    return this.slots.length - this.excludedCount;
  }

  /** Addresses taken (ours, foreign or being claimed). */
  get used(): number {
    return this.takenCount;
  }

  get free(): number {
    return this.size - this.takenCount;
  }

  /** True when `ip` is one the pool could hand out (inside the range, not excluded). */
  usable(ip: number): boolean {
    return this.state(ip) !== undefined && this.state(ip) !== Slot.Excluded;
  }

  state(ip: number): Slot | undefined {
    const i = ip - this.network.first;
    return i >= 0 && i < this.slots.length ? (this.slots[i] as Slot) : undefined;
  }

  /** Marks a usable address as taken for `why`; ignores addresses outside the pool. */
  take(ip: number, why: Slot.Allocated | Slot.Reserved | Slot.Claiming): void {
    const s = this.state(ip);
    if (s === undefined || s === Slot.Excluded) return;
    if (s === Slot.Free) this.takenCount++;
    this.slots[ip - this.network.first] = why;
  }

  /** Frees a taken address. */
  release(ip: number): void {
    const s = this.state(ip);
    if (s === undefined || s === Slot.Excluded || s === Slot.Free) return;
    this.slots[ip - this.network.first] = Slot.Free;
    this.takenCount--;
  }

  /** Puts the cursor on `ip` so the next scan starts right after it. */
  setCursor(ip: number): void {
    const i = ip - this.network.first;
    if (i >= 0 && i < this.slots.length) this.cursor = i;
  }

  /** Moves the cursor so the next scan starts `fraction` (0 ≤ f < 1) of the way through the range. */
  moveTo(fraction: number): void {
    this.cursor = Math.floor(fraction * this.slots.length) - 1;
  }

  /**
   * The next free address after the cursor (wrapping), marked Claiming; the
   * cursor moves onto it. Undefined when nothing is free.
   */
  claimNext(): number | undefined {
    if (this.free <= 0) return undefined;
    const n = this.slots.length;
    for (let step = 1; step <= n; step++) {
      const i = (this.cursor + step) % n;
      if (this.slots[i] === Slot.Free) {
        this.cursor = i;
        this.slots[i] = Slot.Claiming;
        this.takenCount++;
        return this.network.first + i;
      }
    }
    return undefined;
  }

  /** Frees every Allocated and Reserved slot (before re-reading the router); claims in flight stay. */
  clearRouterView(): void {
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (s === Slot.Allocated || s === Slot.Reserved) {
        this.slots[i] = Slot.Free;
        this.takenCount--;
      }
    }
  }

  describe(): string {
    return `${this.network.name} (${intToIp(this.network.first)}–${intToIp(this.network.last)}, ${this.size} addresses)`;
  }
}
