// Rebuilding ipam's state from the router: one list of veths, one of bridge
// ports, one of bridges; then a pure plan of what is ours, what is somebody
// else's and what needs repair.
import { type Allocation, ipIn, vethIps } from './allocation';
import { parseTag } from './naming';
import { type Network, contains } from './network';
import { type BridgePort, type IpamRouter, type Veth, idOrder } from './router';

export interface RouterSnapshot {
  veths: Veth[];
  ports: BridgePort[];
  bridges: string[];
}

export interface SyncPlan {
  /** Our allocations: for an owner with several tagged veths, the oldest (lowest id). */
  allocations: Allocation[];
  /** Addresses inside a pool held by veths that are not ours (never touched). */
  reserved: Array<{ network: string; ip: number }>;
  /** Younger tagged veths of an owner that already has one (a crashed or raced claim). */
  duplicates: Veth[];
  /** Allocations whose veth has no bridge port (a claim interrupted between the two adds). */
  missingPorts: Allocation[];
  /** Our tagged bridge ports whose interface no longer exists. */
  strayPorts: BridgePort[];
  /** Configured bridges the router does not have. */
  missingBridges: string[];
  /** Per network: the address of the most recent allocation (highest id), where the cursor resumes. */
  cursors: Map<string, number>;
}

export async function readRouter(router: IpamRouter): Promise<RouterSnapshot> {
  const [veths, ports, bridges] = await Promise.all([router.listVeths(), router.listBridgePorts(), router.listBridges()]);
  return { veths, ports, bridges };
}

export function planSync(snap: RouterSnapshot, networks: Network[], now: number): SyncPlan {
  const byName = new Map(networks.map((n) => [n.name, n]));
  const portOf = new Map(snap.ports.map((p) => [p.interface, p]));
  const winners = new Map<string, { veth: Veth; net: Network; ip: number }>();
  const plan: SyncPlan = {
    allocations: [],
    reserved: [],
    duplicates: [],
    missingPorts: [],
    strayPorts: [],
    missingBridges: networks.map((n) => n.bridge).filter((b) => !snap.bridges.includes(b)),
    cursors: new Map(),
  };
  const reserve = (veth: Veth) => {
    for (const ip of vethIps(veth)) {
      const net = networks.find((n) => contains(n, ip));
      if (net) plan.reserved.push({ network: net.name, ip });
    }
  };
  for (const veth of [...snap.veths].sort((a, b) => idOrder(a.id) - idOrder(b.id))) {
    const t = parseTag(veth.comment);
    const net = t && byName.get(t.network);
    const ip = net && ipIn(veth, net);
    if (!t || !net || ip === undefined) {
      reserve(veth);
      continue;
    }
    if (winners.has(t.owner)) {
      plan.duplicates.push(veth);
      reserve(veth);
      continue;
    }
    winners.set(t.owner, { veth, net, ip });
    plan.cursors.set(net.name, ip);
  }
  for (const [owner, { veth, net, ip }] of winners) {
    const port = portOf.get(veth.name);
    const a: Allocation = { owner, network: net, ip, veth: veth.name, vethId: veth.id, seenAt: now };
    if (port) a.portId = port.id;
    else plan.missingPorts.push(a);
    plan.allocations.push(a);
  }
  const vethNames = new Set(snap.veths.map((v) => v.name));
  plan.strayPorts = snap.ports.filter((p) => parseTag(p.comment) && !vethNames.has(p.interface));
  return plan;
}
