// /interface/veth, /interface/bridge, /interface/bridge/port and /ip/address.
import { MenuApi, rosBool, rosList, type RosRecord } from './menu';
import type { CallOptions, Transport } from './transport';

export interface Veth {
  id: string;
  name: string;
  /** IPv4/IPv6 prefixes, e.g. `172.17.0.2/24`. */
  addresses: string[];
  gateway?: string;
  gateway6?: string;
  disabled: boolean;
  running: boolean;
  comment?: string;
  raw: RosRecord;
}

export interface VethSpec {
  name: string;
  addresses: string[];
  gateway?: string;
  gateway6?: string;
  comment?: string;
}

const opt = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);

function toVeth(r: RosRecord): Veth {
  return {
    id: r['.id'] ?? '',
    name: r['name'] ?? '',
    addresses: rosList(r['address']),
    gateway: opt(r['gateway']),
    gateway6: opt(r['gateway6']),
    disabled: rosBool(r['disabled']),
    running: rosBool(r['running']),
    comment: opt(r['comment']),
    raw: r,
  };
}

export class VethsApi {
  readonly menu: MenuApi;
  constructor(t: Transport) {
    this.menu = new MenuApi(t, 'interface/veth');
  }
  async list(opts?: CallOptions): Promise<Veth[]> {
    return (await this.menu.list({}, opts)).map(toVeth);
  }
  async find(ref: string, opts?: CallOptions): Promise<Veth | undefined> {
    const r = await this.menu.find(ref, opts);
    return r && toVeth(r);
  }
  /** Adds a veth; a taken name fails with kind `duplicate` (an atomic claim). */
  async add(s: VethSpec, opts?: CallOptions): Promise<Veth> {
    return toVeth(await this.menu.add({ name: s.name, address: s.addresses.join(','), gateway: s.gateway, gateway6: s.gateway6, comment: s.comment }, opts));
  }
  async set(ref: string, s: Partial<VethSpec>, opts?: CallOptions): Promise<Veth> {
    return toVeth(await this.menu.set(ref, { name: s.name, address: s.addresses?.join(','), gateway: s.gateway, gateway6: s.gateway6, comment: s.comment }, opts));
  }
  async remove(ref: string, opts?: CallOptions): Promise<void> {
    await this.menu.remove(ref, opts);
  }
}

export interface Bridge {
  id: string;
  name: string;
  disabled: boolean;
  running: boolean;
  comment?: string;
  raw: RosRecord;
}

function toBridge(r: RosRecord): Bridge {
  return { id: r['.id'] ?? '', name: r['name'] ?? '', disabled: rosBool(r['disabled']), running: rosBool(r['running']), comment: opt(r['comment']), raw: r };
}

export class BridgesApi {
  readonly menu: MenuApi;
  constructor(t: Transport) {
    this.menu = new MenuApi(t, 'interface/bridge');
  }
  async list(opts?: CallOptions): Promise<Bridge[]> {
    return (await this.menu.list({}, opts)).map(toBridge);
  }
  async find(ref: string, opts?: CallOptions): Promise<Bridge | undefined> {
    const r = await this.menu.find(ref, opts);
    return r && toBridge(r);
  }
  async add(s: { name: string; comment?: string }, opts?: CallOptions): Promise<Bridge> {
    return toBridge(await this.menu.add(s, opts));
  }
  async remove(ref: string, opts?: CallOptions): Promise<void> {
    await this.menu.remove(ref, opts);
  }
}

export interface BridgePort {
  id: string;
  bridge: string;
  interface: string;
  disabled: boolean;
  comment?: string;
  raw: RosRecord;
}

function toPort(r: RosRecord): BridgePort {
  return { id: r['.id'] ?? '', bridge: r['bridge'] ?? '', interface: r['interface'] ?? '', disabled: rosBool(r['disabled']), comment: opt(r['comment']), raw: r };
}

export class BridgePortsApi {
  readonly menu: MenuApi;
  constructor(t: Transport) {
    this.menu = new MenuApi(t, 'interface/bridge/port');
  }
  async list(filter: { bridge?: string; interface?: string } = {}, opts?: CallOptions): Promise<BridgePort[]> {
    const f: Record<string, string> = {};
    if (filter.bridge) f['bridge'] = filter.bridge;
    if (filter.interface) f['interface'] = filter.interface;
    return (await this.menu.list(f, opts)).map(toPort);
  }
  async add(s: { bridge: string; interface: string; comment?: string }, opts?: CallOptions): Promise<BridgePort> {
    return toPort(await this.menu.add(s, opts));
  }
  /** By `*ID` (ports have no name). */
  async remove(id: string, opts?: CallOptions): Promise<void> {
    await this.menu.remove(id, opts);
  }
}

export interface IpAddress {
  id: string;
  address: string;
  network: string;
  interface: string;
  disabled: boolean;
  dynamic: boolean;
  comment?: string;
  raw: RosRecord;
}

function toAddress(r: RosRecord): IpAddress {
  return {
    id: r['.id'] ?? '',
    address: r['address'] ?? '',
    network: r['network'] ?? '',
    interface: r['interface'] ?? '',
    disabled: rosBool(r['disabled']),
    dynamic: rosBool(r['dynamic']),
    comment: opt(r['comment']),
    raw: r,
  };
}

export class AddressesApi {
  readonly menu: MenuApi;
  constructor(t: Transport) {
    this.menu = new MenuApi(t, 'ip/address');
  }
  async list(filter: { interface?: string } = {}, opts?: CallOptions): Promise<IpAddress[]> {
    return (await this.menu.list(filter.interface ? { interface: filter.interface } : {}, opts)).map(toAddress);
  }
  async add(s: { address: string; interface: string; comment?: string }, opts?: CallOptions): Promise<IpAddress> {
    return toAddress(await this.menu.add(s, opts));
  }
  async remove(id: string, opts?: CallOptions): Promise<void> {
    await this.menu.remove(id, opts);
  }
}
