// The router's network for real containers: bridges and veths are kernel objects in the
// simulator's router namespace, a container serves HTTP on its veth address and the host
// reaches it through the simulator's link; the container reaches the router's REST API on its
// gateway (not the admin API); nothing routes out; nothing is left after stop.
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage, busyboxUnavailable, dockerArchive, type Simulator } from '../src/index';
import { realRuntimeUnavailable } from '../src/containers/real/runc-engine';
import { startSim, waitFor, type Caller } from './helpers';

type Obj = Record<string, string>;
const skip = busyboxUnavailable() ?? realRuntimeUnavailable();
const ARCH = process.arch === 'arm64' ? 'arm64' : 'x86';
const OCI_ARCH = ARCH === 'x86' ? 'amd64' : 'arm64';
// A /24 of our own in 10.200.0.0/13, random so parallel suites do not pick the same one.
const NET = `10.${200 + randomInt(8)}.${randomInt(256)}`;
// stderr is captured, not printed: `ip link` warns about every veth whose peer is in a namespace it cannot name.
const sh = (args: string[]) => execFileSync(args[0] as string, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function put(sim: Simulator, name: string, data: Buffer): void {
  const p = sim.context.files.resolve(name);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, data);
}

async function logLines(call: Caller): Promise<string[]> {
  return ((await call('GET', '/log')).body as Obj[]).map((l) => l['message'] as string);
}

describe.skipIf(!!skip)(`router network for real containers${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let sim: Simulator;
  let call: Caller;
  let admin: string;
  let net: NonNullable<Simulator['routerNetwork']>;
  beforeAll(async () => {
    ({ sim, call, admin } = await startSim({ version: '7.21', arch: ARCH, containers: 'real', users: { admin: 'pw' } }));
    net = sim.routerNetwork as NonNullable<Simulator['routerNetwork']>;
    put(
      sim,
      'disk1/images/web.tar',
      await dockerArchive(busyboxImage({ architecture: OCI_ARCH, cmd: ['/bin/httpd', '-f', '-v', '-p', '8080', '-h', '/www'], extra: [[{ name: 'www/index.html', data: 'hello from a real container\n' }]] })),
    );
    put(sim, 'disk1/images/client.tar', await dockerArchive(busyboxImage({ architecture: OCI_ARCH, cmd: ['/bin/true'] })));
    // What an operator does once (docs/routeros.md "Containers": one-time router setup).
    await call('PUT', '/interface/bridge', { name: 'containers' });
    await call('PUT', '/ip/address', { address: `${NET}.1/24`, interface: 'containers' });
    for (const [veth, host] of [['veth-web', 2], ['veth-client', 3]] as const) {
      await call('PUT', '/interface/veth', { name: veth, address: `${NET}.${host}/24`, gateway: `${NET}.1` });
      await call('PUT', '/interface/bridge/port', { bridge: 'containers', interface: veth });
    }
  }, 60_000);
  afterAll(() => sim?.stop());

  it('bridge, veths and addresses are kernel objects in the router namespace; no default route out', async () => {
    // Applied in the background, in order, right after each REST change.
    const links = await waitFor(async () => {
      const l = sh(['ip', '-n', net.namespace, '-o', 'link', 'show']);
      return /: ve2@if\d+: .*master br1/.test(l) ? l : undefined;
    });
    expect(links).toMatch(/: br1: .*UP/);
    expect(links).toMatch(/: ve1@if\d+: .*master br1/);
    expect(links).toMatch(/: ve2@if\d+: .*master br1/);
    expect(sh(['ip', '-n', net.namespace, '-4', 'addr', 'show', 'dev', 'br1'])).toContain(`inet ${NET}.1/24`);
    expect(sh(['ip', '-n', net.namespace, 'route', 'show', 'default'])).toBe('');
    expect(sh(['ip', 'route', 'show', `${NET}.0/24`])).toContain(`via ${net.routerAddress} dev ${net.hostLink}`);
  });

  it('a container serves HTTP on its veth address, reached from the host through the router link', async () => {
    await call('PUT', '/container', { name: 'web', file: 'disk1/images/web.tar', interface: 'veth-web', 'root-dir': 'disk1/root/web', logging: 'yes' });
    await waitFor(async () => (((await call('GET', '/container/web')).body as Obj)['stopped'] === 'true' ? true : undefined), 30_000);
    await call('POST', '/container/start', { '.id': 'web' });
    const body = await waitFor(async () => {
      const res = await fetch(`http://${NET}.2:8080/`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      return res?.ok ? res.text() : undefined;
    }, 30_000);
    expect(body).toBe('hello from a real container\n');
    const inside = sh(['ip', '-n', `${net.namespace.replace(/-router$/, '')}-v1`, '-4', 'route', 'show']);
    expect(inside).toMatch(new RegExp(`default via ${NET.replace(/\./g, '\\.')}\\.1 dev eth0`));
  });

  it('a container reaches the router REST API on its gateway (port 80), not the simulator admin API', async () => {
    await call('PUT', '/container', {
      name: 'client',
      file: 'disk1/images/client.tar',
      interface: 'veth-client',
      'root-dir': 'disk1/root/client',
      logging: 'yes',
      entrypoint: '/bin/sh',
      cmd: `-c 'wget -q -O - http://admin:pw@${NET}.1/rest/system/resource; echo; wget -q -O - http://${NET}.1/_sim/faults || echo admin-refused; wget -q -O - http://${NET}.2:8080/'`,
    });
    await waitFor(async () => (((await call('GET', '/container/client')).body as Obj)['stopped'] === 'true' ? true : undefined), 30_000);
    await call('POST', '/container/start', { '.id': 'client' });
    const lines = await waitFor(async () => {
      const l = await logLines(call);
      return l.includes('admin-refused') && l.includes('hello from a real container') ? l : undefined;
    }, 30_000);
    expect(lines.some((l) => l.includes('"platform":"MikroTik"'))).toBe(true);
  });

  it('a pod network overlapping a host route is not routed from the host, and /_sim/runtime lists only what is', async () => {
    const other = `10.${208 + randomInt(8)}.${randomInt(256)}`;
    sh(['ip', 'route', 'add', 'blackhole', `${other}.0/24`]);
    try {
      await call('PUT', '/ip/address', { address: `${other}.1/24`, interface: 'containers' });
      await waitFor(async () => ((await logLines(call)).includes(`network ${other}.0/24 overlaps a route this host already has: not routed from the host (reachable only inside the router)`) ? true : undefined));
      expect(sh(['ip', 'route', 'show', `${other}.0/24`]).trim()).toBe(`blackhole ${other}.0/24`);
      const runtime = (await (await fetch(`${admin}/runtime`)).json()) as { mode: string; network: { routed: string[]; hostLink: string } };
      expect(runtime).toMatchObject({ mode: 'real', network: { routed: [`${NET}.0/24`], hostLink: net.hostLink } });
    } finally {
      sh(['ip', 'route', 'del', 'blackhole', `${other}.0/24`]);
    }
  });

  it('stop removes the router namespace, veth namespaces, the host link and its route', async () => {
    const prefix = net.namespace.replace(/-router$/, '');
    await sim.stop();
    expect(sh(['ip', 'netns', 'list'])).not.toContain(prefix);
    expect(sh(['ip', '-o', 'link', 'show'])).not.toContain(net.hostLink);
    expect(sh(['ip', 'route', 'show', `${NET}.0/24`])).toBe('');
  });
});
