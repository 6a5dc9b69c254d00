// The router as a network namespace of its own (`rs<id>-router`), with no default route: what
// containers send goes nowhere but the router's own interfaces. One veth pair links it to the
// host (`rs<id>h` ↔ `uplink`, a /30 in 169.254.0.0/16 the host does not use), and the host routes
// only the router's pod networks into it — and only those that overlap no route the host
// already has, so nothing of the host's own network is ever shadowed.
// The router's web service (REST) is reachable from containers on every router address,
// port 80 (443 with TLS), as on a real router: DNAT to the simulator's listener on the host
// end of the link, masqueraded so replies need no route back.
import { ip } from '../containers/real/instance';
import { cidrRange, numberToIpv4, overlaps, type Range } from './cidr';

const LINK_BASE = (169 << 24) + (254 << 16);

async function hostRanges(): Promise<Range[]> {
  const routes = JSON.parse((await ip(['-j', '-4', 'route', 'show', 'table', 'all'])) || '[]') as Array<{ dst?: string; type?: string }>;
  const out: Range[] = [];
  for (const r of routes) {
    if (!r.dst || r.dst === 'default' || r.type === 'broadcast') continue;
    const range = cidrRange(r.dst);
    if (range) out.push(range);
  }
  return out;
}

/** Whether the simulator would route `network` from this host (it overlaps no route the host has). */
export async function routableFromHost(network: string): Promise<boolean> {
  const range = cidrRange(network);
  return !!range && !(await hostRanges()).some((r) => overlaps(r, range));
}

export class RouterNamespace {
  /** Host end of the link: the simulator listens here for what containers send to the router. */
  hostAddress = '';
  routerAddress = '';
  private readonly routed = new Set<string>();

  private constructor(
    readonly prefix: string,
    private readonly log: (m: string) => void,
  ) {}

  get name(): string {
    return `${this.prefix}-router`;
  }

  get hostLink(): string {
    return `${this.prefix}h`;
  }

  /** `ip -n <router> …` */
  exec(args: string[]): Promise<string> {
    return ip(['-n', this.name, ...args]);
  }

  /** `ip netns exec <router> <cmd> …` (iptables, sysctl). */
  run(cmd: string[]): Promise<string> {
    return ip(['netns', 'exec', this.name, ...cmd]);
  }

  static async create(prefix: string, seed: number, log: (m: string) => void): Promise<RouterNamespace> {
    const ns = new RouterNamespace(prefix, log);
    await ip(['netns', 'add', ns.name]);
    await ns.exec(['link', 'set', 'lo', 'up']);
    await ns.run(['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    const used = await hostRanges();
    // A /30 in 169.254.64.0–169.254.127.255 (clear of 169.254.169.254), chosen from the id.
    let base: number | undefined;
    for (let i = 0; i < 4096 && base === undefined; i++) {
      const candidate = LINK_BASE + (64 << 8) + (((seed + i) % 4096) << 2);
      if (!used.some((r) => overlaps(r, { start: candidate, end: candidate + 3 }))) base = candidate;
    }
    if (base === undefined) throw new Error('no free /30 in 169.254.64.0/18 for the host link');
    ns.hostAddress = numberToIpv4(base + 1);
    ns.routerAddress = numberToIpv4(base + 2);
    await ip(['link', 'add', ns.hostLink, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', ns.name]);
    await ip(['addr', 'add', `${ns.hostAddress}/30`, 'dev', ns.hostLink]);
    await ip(['link', 'set', ns.hostLink, 'up']);
    await ns.exec(['addr', 'add', `${ns.routerAddress}/30`, 'dev', 'uplink']);
    await ns.exec(['link', 'set', 'uplink', 'up']);
    return ns;
  }

  /** Makes the simulator's listener at hostAddress:port the router's web service on `routerPort`. */
  async publishWebService(port: number, routerPort: number): Promise<void> {
    const to = `${this.hostAddress}:${port}`;
    await this.run(['iptables', '-t', 'nat', '-A', 'PREROUTING', '-p', 'tcp', '--dport', String(routerPort), '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'DNAT', '--to-destination', to]);
    await this.run(['iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'uplink', '-d', this.hostAddress, '-j', 'MASQUERADE']);
  }

  /** Routes a pod network from the host into the router, unless the host already routes any of it. */
  async routeFromHost(network: string): Promise<void> {
    const range = cidrRange(network);
    if (!range || this.routed.has(network)) return;
    if (!(await routableFromHost(network))) {
      this.log(`network ${network} overlaps a route this host already has: not routed from the host (reachable only inside the router)`);
      return;
    }
    await ip(['route', 'add', network, 'via', this.routerAddress, 'dev', this.hostLink]);
    this.routed.add(network);
  }

  /** The pod networks the host routes into the router now (what tests and the demo may send to). */
  get routedNetworks(): string[] {
    return [...this.routed];
  }

  async unrouteFromHost(network: string): Promise<void> {
    if (!this.routed.delete(network)) return;
    await ip(['route', 'del', network, 'via', this.routerAddress, 'dev', this.hostLink]).catch(() => undefined);
  }

  /** The namespace (and with it every interface, route and rule in it) and the host link go. */
  async close(): Promise<void> {
    await ip(['link', 'delete', this.hostLink]).catch(() => undefined);
    await ip(['netns', 'delete', this.name]).catch(() => undefined);
  }
}
