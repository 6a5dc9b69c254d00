// What ipam needs from the router, as a seam: the allocator and the sync speak
// this interface; router-rest.ts implements it over libs/routeros-rest.

export interface Veth {
  /** RouterOS `.id` ("*1A"); ids grow with every add, so they order creations. */
  id: string;
  name: string;
  /** Comma list of prefixes as RouterOS prints it ("10.20.0.5/24"). */
  address: string;
  gateway: string;
  comment?: string;
}

export interface BridgePort {
  id: string;
  bridge: string;
  interface: string;
  comment?: string;
}

export type RouterFault =
  /** An interface with that name exists already (the claim was lost). */
  | 'duplicate'
  /** The router could not be reached, timed out or failed internally: retryable. */
  | 'unavailable'
  /** The router refused the request (bad argument, missing bridge …). */
  | 'rejected';

export class RouterError extends Error {
  constructor(
    readonly fault: RouterFault,
    message: string,
  ) {
    super(message);
    this.name = 'RouterError';
  }
}

export interface IpamRouter {
  listVeths(): Promise<Veth[]>;
  listBridgePorts(): Promise<BridgePort[]>;
  listBridges(): Promise<string[]>;
  /** The veth with this name, or undefined. */
  getVeth(name: string): Promise<Veth | undefined>;
  /** The veths among these names (one request). */
  findVethsByName(names: string[]): Promise<Veth[]>;
  /** Veths whose comment is exactly `comment`. */
  findVeths(comment: string): Promise<Veth[]>;
  /** Throws RouterError('duplicate') when the name is taken by any interface. */
  addVeth(v: { name: string; address: string; gateway: string; comment: string }): Promise<Veth>;
  /** Adding a port for an interface that already has one throws RouterError('duplicate'). */
  addBridgePort(p: { bridge: string; interface: string; comment: string }): Promise<BridgePort>;
  /** Ports of one interface. */
  findBridgePorts(iface: string): Promise<BridgePort[]>;
  /** Removing what is already gone succeeds; true when it existed. */
  removeVeth(id: string): Promise<boolean>;
  removeBridgePort(id: string): Promise<boolean>;
}

/** Numeric value of a RouterOS id, for ordering creations. */
export function idOrder(id: string): number {
  return parseInt(id.replace(/^\*/, ''), 16);
}
