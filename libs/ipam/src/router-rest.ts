// IpamRouter over libs/routeros-rest: RouterOS errors become the three faults
// the allocator tells apart (duplicate, unavailable, rejected).
import { type RosRecord, type RouterOsClient, RouterOsError, removeIgnoringMissing } from '@mikrotik-kube/routeros-rest';
import { type BridgePort, type IpamRouter, RouterError, type Veth } from './router';

function fault(err: unknown): unknown {
  if (!(err instanceof RouterOsError)) return err;
  if (err.kind === 'duplicate') return new RouterError('duplicate', err.message);
  if (err.retryable) return new RouterError('unavailable', err.message);
  return new RouterError('rejected', err.message);
}

async function mapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fault(err);
  }
}

async function removed(fn: () => Promise<void>): Promise<boolean> {
  try {
    return await removeIgnoringMissing(fn);
  } catch (err) {
    throw fault(err);
  }
}

const veth = (r: { id: string; name: string; addresses: string[]; gateway?: string; comment?: string }): Veth => ({
  id: r.id,
  name: r.name,
  address: r.addresses.join(','),
  gateway: r.gateway ?? '',
  ...(r.comment ? { comment: r.comment } : {}),
});

const rawVeth = (r: RosRecord): Veth => ({
  id: r['.id'] ?? '',
  name: r['name'] ?? '',
  address: r['address'] ?? '',
  gateway: r['gateway'] ?? '',
  ...(r['comment'] ? { comment: r['comment'] } : {}),
});

const port = (p: { id: string; bridge: string; interface: string; comment?: string }): BridgePort => ({
  id: p.id,
  bridge: p.bridge,
  interface: p.interface,
  ...(p.comment ? { comment: p.comment } : {}),
});

export function restRouter(client: RouterOsClient): IpamRouter {
  return {
    listVeths: () => mapped(async () => (await client.veths.list()).map(veth)),
    listBridgePorts: () => mapped(async () => (await client.bridgePorts.list()).map(port)),
    listBridges: () => mapped(async () => (await client.bridges.list()).map((b) => b.name)),
    getVeth: (name) => mapped(async () => {
      const v = await client.veths.find(name);
      return v && veth(v);
    }),
    // API query words: one `name=` per name, OR-ed together by the `#|…` operation word.
    findVethsByName: (names) =>
      mapped(async () => {
        const query = [...names.map((n) => `name=${n}`), ...(names.length > 1 ? [`#${'|'.repeat(names.length - 1)}`] : [])];
        return (await client.veths.menu.print({ query })).map(rawVeth);
      }),
    // The typed list has no filter argument; the menu's exact-match filter runs on the router.
    findVeths: (comment) => mapped(async () => (await client.veths.menu.list({ comment })).map(rawVeth)),
    addVeth: (v) =>
      mapped(async () => veth(await client.veths.add({ name: v.name, addresses: [v.address], gateway: v.gateway, comment: v.comment }))),
    addBridgePort: (p) => mapped(async () => port(await client.bridgePorts.add(p))),
    findBridgePorts: (iface) => mapped(async () => (await client.bridgePorts.list({ interface: iface })).map(port)),
    removeVeth: (id) => removed(() => client.veths.remove(id)),
    removeBridgePort: (id) => removed(() => client.bridgePorts.remove(id)),
  };
}
