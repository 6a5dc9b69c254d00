// An allocation as ipam knows it: one owner, one address, one tagged veth.
import { type Network, contains, parseIp } from './network';
import type { Veth } from './router';

export interface Allocation {
  owner: string;
  network: Network;
  ip: number;
  veth: string;
  vethId: string;
  /** Id of the bridge port when known. */
  portId?: string;
  /** When this replica created or first saw it (ms), the floor of any grace period. */
  seenAt: number;
}

/** The IPv4 addresses of a veth's `address` list ("10.20.0.5/24,fd00::5/64"). */
export function vethIps(veth: Pick<Veth, 'address'>): number[] {
  return veth.address
    .split(',')
    .map((p) => parseIp(p.trim().replace(/\/\d+$/, '')))
    .filter((ip): ip is number => ip !== undefined);
}

/** The veth's address inside `net`, or undefined. */
export function ipIn(veth: Pick<Veth, 'address'>, net: Network): number | undefined {
  return vethIps(veth).find((ip) => contains(net, ip));
}
