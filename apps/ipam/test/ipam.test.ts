// ipam as a real process over gRPC against the simulated router.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Ipam, Rig } from './harness';

describe('ipam against the simulated router', () => {
  const rig = new Rig();
  let ipam: Ipam;

  beforeAll(async () => {
    await rig.startRouter(['containers', 'dmz']);
    const cfg = rig.writeConfig('main', [
      { name: 'pods', bridge: 'containers', cidr: '10.20.0.0/24', gateway: '10.20.0.1', dns: ['10.20.0.1'], exclude: ['10.20.0.2'], default: true },
      { name: 'dmz', bridge: 'dmz', cidr: '10.30.0.0/29', gateway: '10.30.0.1' },
    ]);
    ipam = await rig.startIpam(cfg);
  });
  afterAll(async () => {
    ipam?.close();
    await rig.close();
  });

  it('allocates sequentially, creates the veth and its bridge port, and is idempotent', async () => {
    const a = await ipam.allocate('default/web');
    expect(a).toMatchObject({ owner: 'default/web', network: 'pods', address: '10.20.0.3', prefix_length: 24, gateway: '10.20.0.1', dns: ['10.20.0.1'], bridge: 'containers', veth: 'mk-0a140003' });
    const again = await ipam.allocate('default/web');
    expect(again).toEqual(a);
    const b = await ipam.allocate('default/db', 'pods');
    expect(b.address).toBe('10.20.0.4');
    const veth = await rig.router.veths.find('mk-0a140003');
    expect(veth).toMatchObject({ addresses: ['10.20.0.3/24'], gateway: '10.20.0.1', comment: 'mikrotik-kube:ipam owner=default%2Fweb network=pods' });
    const ports = await rig.router.bridgePorts.list({ interface: 'mk-0a140003' });
    expect(ports.map((p) => p.bridge)).toEqual(['containers']);
  });
});
