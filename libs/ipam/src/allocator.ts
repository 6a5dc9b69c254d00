// Allocation and release of container addresses, with the router as the
// arbiter between replicas.
//
// Claiming an address = adding the veth whose name is derived from it
// (naming.ts). RouterOS refuses a duplicate interface name, so of several
// replicas trying the same address exactly one succeeds; the others learn who
// holds it and move on to the next address. The same owner asked on two
// replicas at once may win two addresses: right after its claim each replica
// lists the owner's tagged veths and the oldest (lowest `.id`) wins, so both
// answer the same allocation and the loser removes its veth.
//
// Replicas keep out of each other's way so that claims rarely collide: each
// starts its sequential search at a point derived from its identity, and one
// that loses an address to another replica's allocation jumps elsewhere —
// that replica's next claims are right ahead, so following it would lose again.
import { createHash } from 'node:crypto';
import type { Logger } from '@mikrotik-kube/service-kit';
import { type Allocation, ipIn } from './allocation';
import { Cleanup } from './cleanup';
import { IpamError } from './errors';
import { KeyedMutex, SharedGate } from './locks';
import { addressOfVethName, ownerProblem, parseTag, tag, vethName } from './naming';
import { type Network, intToIp } from './network';
import { Pool, Slot } from './pool';
import { type BridgePort, type IpamRouter, RouterError, type Veth, idOrder } from './router';
import { type SyncPlan, planSync, readRouter } from './router-sync';

/** Addresses after a lost one that are read in the same request. */
const LEARN_AHEAD = 31;

export interface AllocatorEvents {
  /** A claim was refused by the router because another holder had the name. */
  conflict?(network: string): void;
}

export interface Placement {
  /** This replica's identity (its pod name): where its search starts. Empty: after the router's most recent allocation. */
  replicaIdentity?: string;
}

/** A stable point 0 ≤ f < 1 of a network's range for a replica identity. */
function startFraction(identity: string, network: string): number {
  return createHash('sha256').update(`${identity}\n${network}`).digest().readUInt32BE(0) / 2 ** 32;
}

export class Allocator {
  readonly pools = new Map<string, Pool>();
  private readonly byOwner = new Map<string, Allocation>();
  private readonly owners = new KeyedMutex();
  private readonly gate = new SharedGate();
  private synced = false;
  /** Veths of failed claims still to be removed once the router answers. */
  readonly cleanup: Cleanup;

  constructor(
    readonly networks: Network[],
    private readonly router: IpamRouter,
    private readonly logger: Logger,
    private readonly events: AllocatorEvents = {},
    private readonly clock: () => number = Date.now,
    private readonly placement: Placement = {},
  ) {
    for (const n of networks) this.pools.set(n.name, new Pool(n));
    this.cleanup = new Cleanup((name, comment) => {
      const owner = parseTag(comment)?.owner ?? '';
      return this.owners.run(owner, () => this.gate.withShared(() => this.removeUnclaimed(name, comment)));
    }, logger);
  }

  get isSynced(): boolean {
    return this.synced;
  }

  /** The network for a request: by name, or the default one when the name is empty. */
  network(name: string): Network {
    const net = name === '' ? this.networks.find((n) => n.isDefault) : this.networks.find((n) => n.name === name);
    if (!net) throw new IpamError('not-found', `unknown network ${JSON.stringify(name)}`);
    return net;
  }

  /**
   * Re-reads the router and replaces the local view with it. With `repair`,
   * completes interrupted claims (adds missing bridge ports) and removes
   * younger duplicate veths of an owner.
   */
  async sync(opts: { repair: boolean }): Promise<SyncPlan> {
    const plan = await this.gate.withExclusive(async () => {
      const p = planSync(await readRouter(this.router), this.networks, this.clock());
      // Keep when each allocation was first seen, so grace periods survive re-reads.
      const seen = new Map([...this.byOwner.values()].map((a) => [a.vethId, a.seenAt]));
      for (const a of p.allocations) a.seenAt = seen.get(a.vethId) ?? a.seenAt;
      for (const pool of this.pools.values()) pool.clearRouterView();
      this.byOwner.clear();
      for (const r of p.reserved) this.pools.get(r.network)?.take(r.ip, Slot.Reserved);
      for (const a of p.allocations) this.record(a);
      // Only the first sync places the cursors: a later one would put every replica on the same
      // most recent allocation, where they would all claim the same next addresses.
      if (!this.synced) this.placeCursors(p.cursors);
      return p;
    });
    if (plan.missingBridges.length) this.logger.error('configured bridges missing on the router', { bridges: plan.missingBridges });
    if (opts.repair) await this.repair(plan);
    this.synced = true;
    return plan;
  }

  private placeCursors(mostRecent: Map<string, number>): void {
    const identity = this.placement.replicaIdentity ?? '';
    for (const pool of this.pools.values()) {
      const ip = mostRecent.get(pool.network.name);
      if (identity) pool.moveTo(startFraction(identity, pool.network.name));
      else if (ip !== undefined) pool.setCursor(ip);
    }
  }

  /**
   * Best effort, item by item: another replica may be changing the same
   * objects (a claim it is rolling back), and the next sync tries again.
   */
  private async repair(plan: SyncPlan): Promise<void> {
    const attempt = async (what: string, meta: object, fn: () => Promise<unknown>) => {
      try {
        await fn();
        this.logger.info(what, meta);
      } catch (err) {
        this.logger.warn(`not ${what}`, { ...meta, error: (err as Error).message });
      }
    };
    for (const a of plan.missingPorts) {
      await attempt('completed interrupted allocation', { owner: a.owner, veth: a.veth }, () =>
        this.owners.run(a.owner, () => this.gate.withShared(() => this.ensurePort(a))),
      );
    }
    for (const v of plan.duplicates) {
      await attempt('removed duplicate veth', { veth: v.name, comment: v.comment }, () => this.router.removeVeth(v.id));
    }
    for (const p of plan.strayPorts) {
      await attempt('removed bridge port of a missing veth', { interface: p.interface }, async () => {
        if (!(await this.router.getVeth(p.interface))) await this.router.removeBridgePort(p.id);
      });
    }
  }

  private requireSynced(): void {
    if (!this.synced) throw new IpamError('not-ready', 'not yet synced with the router');
  }

  private checkOwner(owner: string): void {
    const problem = ownerProblem(owner);
    if (problem) throw new IpamError('invalid', problem);
  }

  async allocate(owner: string, networkName: string): Promise<Allocation> {
    this.checkOwner(owner);
    const net = this.network(networkName);
    this.requireSynced();
    return this.owners.run(owner, async () => {
      const first = await this.gate.withShared(() => this.allocateHeld(owner, net));
      if (first) return first;
      // Full here; other replicas may have released since we last read the router.
      await this.sync({ repair: false });
      const second = await this.gate.withShared(() => this.allocateHeld(owner, net));
      if (second) return second;
      const pool = this.pools.get(net.name) as Pool;
      throw new IpamError('exhausted', `no free address in network ${pool.describe()}`);
    });
  }

  /** With the owner's lock and the shared gate held. Undefined when the pool is full. */
  private async allocateHeld(owner: string, net: Network): Promise<Allocation | undefined> {
    // An unknown owner is not looked up first: the check after the claim finds an older allocation anyway.
    const held = this.byOwner.has(owner) ? await this.current(owner) : undefined;
    if (held) {
      if (held.network !== net) {
        throw new IpamError('conflict', `owner ${owner} already holds ${intToIp(held.ip)} on network ${held.network.name}`);
      }
      return held;
    }
    const pool = this.pools.get(net.name) as Pool;
    for (;;) {
      const ip = pool.claimNext();
      if (ip === undefined) return undefined;
      const won = await this.claim(owner, net, pool, ip);
      if (won) return won;
    }
  }

  /** Tries to claim `ip` (marked Claiming in the pool) for `owner`. Undefined: lost, try the next one. */
  private async claim(owner: string, net: Network, pool: Pool, ip: number): Promise<Allocation | undefined> {
    const name = vethName(ip);
    const comment = tag(owner, net.name);
    let veth: Veth;
    try {
      veth = await this.router.addVeth({ name, address: `${intToIp(ip)}/${net.prefix}`, gateway: intToIp(net.gateway), comment });
    } catch (err) {
      if (err instanceof RouterError && err.fault === 'duplicate') {
        this.events.conflict?.(net.name);
        return this.learn(pool, ip, name, owner);
      }
      pool.release(ip);
      // A timed-out add may still have happened on the router: take it back if it did.
      if (err instanceof RouterError && err.fault === 'unavailable') await this.undoByName(name, comment);
      throw err;
    }
    // Listing the owner's veths after our claim (not before) makes the oldest-wins rule safe:
    // whoever is older was already there when we looked.
    let oldest: { net: Network; veth: Veth } | undefined;
    try {
      oldest = (await this.ownerVeths(owner))[0];
    } catch (err) {
      await this.undo(veth, pool, ip);
      throw err;
    }
    if (oldest && oldest.veth.id !== veth.id && idOrder(oldest.veth.id) < idOrder(veth.id)) {
      await this.undo(veth, pool, ip);
      const winner = this.adopt(oldest.veth, owner, oldest.net);
      if (!winner) throw new IpamError('internal', `veth ${oldest.veth.name} of ${owner} has no address in ${oldest.net.name}`);
      if (winner.network !== net) {
        throw new IpamError('conflict', `owner ${owner} already holds ${intToIp(winner.ip)} on network ${winner.network.name}`);
      }
      await this.ensurePort(winner);
      return winner;
    }
    const a: Allocation = { owner, network: net, ip, veth: name, vethId: veth.id, seenAt: this.clock() };
    try {
      a.portId = (await this.addPort(a)).id;
    } catch (err) {
      await this.undo(veth, pool, ip);
      throw err;
    }
    this.record(a);
    return a;
  }

  /**
   * After a lost claim: find out who holds the name. Returns the allocation if
   * it is this owner's. The same request also reads the next free addresses:
   * a replica that lost one claim has usually fallen behind another one, and
   * skipping what is already taken spares a refused add per address.
   */
  private async learn(pool: Pool, ip: number, name: string, owner: string): Promise<Allocation | undefined> {
    const ahead: number[] = [];
    for (let next = ip + 1; next <= pool.network.last && ahead.length < LEARN_AHEAD; next++) {
      if (pool.state(next) === Slot.Free) ahead.push(next);
    }
    const found = await this.router.findVethsByName([name, ...ahead.map(vethName)]).catch((err: unknown) => {
      pool.release(ip);
      throw err;
    });
    for (const v of found) {
      const taken = addressOfVethName(v.name);
      // Only marked here; who holds it is read when it matters (Get, Release, a sync).
      if (taken !== undefined && taken !== ip && pool.state(taken) === Slot.Free) pool.take(taken, Slot.Reserved);
    }
    const holder = found.find((v) => v.name === name);
    const t = parseTag(holder?.comment);
    const net = t && this.networks.find((n) => n.name === t.network);
    if (!holder) {
      pool.release(ip); // removed meanwhile, or a non-veth interface: the cursor has moved on anyway
      return undefined;
    }
    if (!t || !net || ipIn(holder, net) !== ip) {
      pool.take(ip, Slot.Reserved);
      return undefined;
    }
    const a = this.adopt(holder, t.owner, net);
    if (t.owner !== owner) {
      pool.moveTo(Math.random());
      return undefined;
    }
    if (a) await this.ensurePort(a);
    return a;
  }

  /** Records a tagged veth found on the router as an allocation (unless the owner has one). */
  private adopt(veth: Veth, owner: string, net: Network): Allocation | undefined {
    const ip = ipIn(veth, net);
    if (ip === undefined) return undefined;
    const known = this.byOwner.get(owner);
    if (known?.vethId === veth.id) return known;
    if (known && idOrder(known.vethId) < idOrder(veth.id)) {
      // A younger duplicate: it still occupies its address until a sync removes it.
      this.pools.get(net.name)?.take(ip, Slot.Reserved);
      return known;
    }
    const a: Allocation = { owner, network: net, ip, veth: veth.name, vethId: veth.id, seenAt: this.clock() };
    this.record(a);
    return a;
  }

  private record(a: Allocation): void {
    this.pools.get(a.network.name)?.take(a.ip, Slot.Allocated);
    this.byOwner.set(a.owner, a);
  }

  private async addPort(a: Allocation): Promise<BridgePort> {
    try {
      return await this.router.addBridgePort({ bridge: a.network.bridge, interface: a.veth, comment: tag(a.owner, a.network.name) });
    } catch (err) {
      if (err instanceof RouterError && err.fault === 'rejected' && (await this.router.getVeth(a.veth))?.id !== a.vethId) {
        // The veth went between its add and its port: a Release of this owner on another replica.
        throw new IpamError('aborted', `allocation of ${a.owner} raced a release of it; retry`);
      }
      if (!(err instanceof RouterError && err.fault === 'duplicate')) throw err;
      const [port] = await this.router.findBridgePorts(a.veth);
      if (!port) throw err;
      return port;
    }
  }

  private async ensurePort(a: Allocation): Promise<void> {
    if (a.portId) return;
    const [port] = await this.router.findBridgePorts(a.veth);
    a.portId = (port ?? (await this.addPort(a))).id;
  }

  /** Takes back our own veth after a failed or lost claim; if the router is unreachable, later. */
  private async undo(veth: Veth, pool: Pool, ip: number): Promise<void> {
    pool.release(ip);
    try {
      await this.router.removeVeth(veth.id);
    } catch {
      this.cleanup.add(veth.name, veth.comment ?? '');
    }
  }

  private async undoByName(name: string, comment: string): Promise<void> {
    try {
      await this.removeUnclaimed(name, comment);
    } catch {
      this.cleanup.add(name, comment);
    }
  }

  /** Removes veth `name` if it carries `comment` and is not (or no longer) an allocation. */
  private async removeUnclaimed(name: string, comment: string): Promise<void> {
    const v = await this.router.getVeth(name);
    if (!v || v.comment !== comment) return;
    if ([...this.byOwner.values()].some((a) => a.vethId === v.id)) return;
    for (const p of await this.router.findBridgePorts(name)) await this.router.removeBridgePort(p.id);
    await this.router.removeVeth(v.id);
  }

  /**
   * The owner's allocation as the router has it: what this replica knows,
   * checked (another replica may have released it), else found by its tag.
   */
  private async current(owner: string): Promise<Allocation | undefined> {
    const known = this.byOwner.get(owner);
    if (!known) return this.lookup(owner);
    const veth = await this.router.getVeth(known.veth);
    if (veth && veth.id === known.vethId) return known;
    this.byOwner.delete(owner);
    this.pools.get(known.network.name)?.release(known.ip);
    return this.lookup(owner);
  }

  /** The owner's tagged veths on the router in any network, oldest first. */
  private async ownerVeths(owner: string): Promise<Array<{ net: Network; veth: Veth }>> {
    const found = await Promise.all(
      this.networks.map(async (net) => ({ net, veths: await this.router.findVeths(tag(owner, net.name)) })),
    );
    return found.flatMap(({ net, veths }) => veths.map((veth) => ({ net, veth }))).sort((a, b) => idOrder(a.veth.id) - idOrder(b.veth.id));
  }

  /** The owner's allocation on the router (made by another replica), adopted locally. */
  private async lookup(owner: string): Promise<Allocation | undefined> {
    const oldest = (await this.ownerVeths(owner))[0];
    return oldest && this.adopt(oldest.veth, owner, oldest.net);
  }

  async get(owner: string): Promise<Allocation> {
    this.checkOwner(owner);
    this.requireSynced();
    const a = await this.owners.run(owner, () => this.gate.withShared(async () => this.current(owner)));
    if (!a) throw new IpamError('not-found', `owner ${owner} has no allocation`);
    return a;
  }

  /** Removes the owner's bridge port and veth. False when it held nothing. */
  async release(owner: string): Promise<boolean> {
    this.checkOwner(owner);
    this.requireSynced();
    return this.owners.run(owner, () =>
      this.gate.withShared(async () => {
        const a = await this.current(owner);
        if (!a) return false;
        const ports = a.portId ? [{ id: a.portId }] : await this.router.findBridgePorts(a.veth);
        for (const p of ports) await this.router.removeBridgePort(p.id);
        const existed = await this.router.removeVeth(a.vethId);
        this.byOwner.delete(owner);
        this.pools.get(a.network.name)?.release(a.ip);
        if (existed) this.logger.info('released', { owner, address: intToIp(a.ip), veth: a.veth });
        return existed;
      }),
    );
  }

  /** Allocations as last read or made by this replica, optionally of one network. */
  allocations(network?: string): Allocation[] {
    const all = [...this.byOwner.values()];
    return (network ? all.filter((a) => a.network.name === network) : all).sort((a, b) => a.ip - b.ip);
  }
}
