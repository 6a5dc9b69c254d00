// The client against a RouterOS REST server: the simulator (as a process) by default, a real
// router when ROUTEROS_URL, ROUTEROS_USER and ROUTEROS_PASSWORD are set. On a real router the
// tests create and remove only objects named `mkt-test-*`.
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dockerArchive } from '@mikrotik-kube/routeros-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouterOsClient, RouterOsError, isRouterOsError } from '../src/index';
import { realRouter, startTarget, type Target } from './target';

/** A real router's self-signed certificate: ROUTEROS_CA=<pem file>, or ROUTEROS_INSECURE=1. */
function tlsOptions(t: Target): { ca?: Buffer; insecureSkipVerify?: boolean } {
  if (!t.real) return {};
  const ca = process.env['ROUTEROS_CA'];
  return { ca: ca ? readFileSync(ca) : undefined, insecureSkipVerify: process.env['ROUTEROS_INSECURE'] === '1' };
}

const P = `mkt-test-${process.pid.toString(36)}`;

if (!realRouter()) console.info('routeros-rest contract: ROUTEROS_URL/ROUTEROS_USER/ROUTEROS_PASSWORD not set — running against the simulator only');

describe(`REST contract (${realRouter() ? 'real router' : 'simulator process'})`, () => {
  let target: Target;
  let ros: RouterOsClient;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    target = await startTarget();
    ros = new RouterOsClient({ url: target.url, username: target.username, password: target.password, ...tlsOptions(target) });
  }, 90_000);

  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
    ros?.close();
    await target?.stop();
  });

  it('reads /system/resource once and knows the version', async () => {
    const r = await ros.system.resource();
    expect(r.version).toMatch(/^7\.\d+/);
    expect(r.platform).toBe('MikroTik');
    expect(r.totalMemory).toBeGreaterThan(0);
    const v = await ros.version();
    expect(v.major).toBe(7);
    expect(v.statusFlags).toBe(v.minor >= 20);
  });

  it('veth, bridge, port and address round-trip in typed shapes', async () => {
    const veth = await ros.veths.add({ name: `${P}-v`, addresses: ['172.31.250.2/24'], gateway: '172.31.250.1', comment: 'mkt-test' });
    cleanup.push(() => ros.veths.remove(veth.id));
    expect(veth).toMatchObject({ name: `${P}-v`, addresses: ['172.31.250.2/24'], gateway: '172.31.250.1', disabled: false, comment: 'mkt-test' });
    expect(veth.id).toMatch(/^\*[0-9A-F]+$/);
    const br = await ros.bridges.add({ name: `${P}-br` });
    cleanup.push(() => ros.bridges.remove(br.id));
    const port = await ros.bridgePorts.add({ bridge: br.name, interface: veth.name });
    cleanup.push(() => ros.bridgePorts.remove(port.id));
    expect((await ros.bridgePorts.list({ interface: veth.name })).map((p) => p.bridge)).toEqual([br.name]);
    const addr = await ros.addresses.add({ address: '172.31.250.1/24', interface: br.name });
    cleanup.push(() => ros.addresses.remove(addr.id));
    expect(addr).toMatchObject({ address: '172.31.250.1/24', network: '172.31.250.0', interface: br.name });
    const changed = await ros.veths.set(veth.id, { addresses: ['172.31.250.3/24'] });
    expect(changed.addresses).toEqual(['172.31.250.3/24']);
    expect((await ros.veths.find(veth.name))?.id).toBe(veth.id);
  });

  it('maps refusals to typed errors: duplicate, not-found, invalid', async () => {
    const err = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as RouterOsError);
    const dup = await err(ros.veths.add({ name: `${P}-v`, addresses: [] }));
    expect(dup).toBeInstanceOf(RouterOsError);
    expect(dup).toMatchObject({ kind: 'duplicate', status: 400, retryable: false });
    expect(dup?.detail).toMatch(/already/);
    const nf = await err(ros.veths.menu.get('*FFFFFF'));
    expect(nf).toMatchObject({ kind: 'not-found', status: 404, retryable: false });
    expect(await ros.veths.find(`${P}-nope`)).toBeUndefined();
    await expect(ros.menu('interface/bridge').command('remove', { '.id': '*FFFFFF' })).rejects.toMatchObject({ kind: 'not-found', status: 400 });
    const bad = await err(ros.veths.menu.add({ name: `${P}-x`, 'no-such-arg': '1' }));
    expect(bad).toMatchObject({ kind: 'invalid', status: 400, detail: 'unknown parameter no-such-arg' });
    const menu = await err(ros.menu('no/such/menu').list());
    expect(menu).toMatchObject({ kind: 'invalid', detail: 'no such command or directory (no)' });
    expect(isRouterOsError(menu, 'invalid')).toBe(true);
  });

  it('removing twice: the second DELETE is not-found', async () => {
    const b = await ros.bridges.add({ name: `${P}-tmp` });
    await ros.bridges.remove(b.id);
    await expect(ros.bridges.remove(b.id)).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('files: create, read in chunks, list, remove; names with slashes are encoded', async () => {
    const name = `${P}-dir/note.txt`;
    const f = await ros.files.add({ name, contents: 'abcdefgh' });
    cleanup.push(() => ros.files.remove(`${P}-dir`));
    cleanup.push(() => ros.files.remove(f.id));
    expect(f.name).toBe(name);
    expect(await ros.files.read(name, 2, 3)).toBe('cde');
    expect(await ros.files.read(name, 8, 3)).toBe('');
    const one = await ros.files.find(name);
    expect(one?.size).toBe(8);
    expect(one?.raw['contents']).toBe('abcdefgh');
    // A listing never carries contents (a router with a container root lists thousands of files).
    const listed = (await ros.files.list()).find((x) => x.name === name);
    expect(listed).toMatchObject({ name, size: 8 });
    expect(listed?.raw).not.toHaveProperty('contents');
    expect((await ros.files.listUnder(`${P}-dir`)).map((x) => x.name)).toEqual([name, `${P}-dir`]);
  });

  it('generic menu: print with .query and .proplist; logs are readable', async () => {
    const rows = await ros.menu('interface/bridge').print({ query: [`name=${P}-br`], proplist: ['name'] });
    expect(rows).toEqual([{ '.id': expect.stringMatching(/^\*/), name: `${P}-br` }]);
    const logs = await ros.logs.list();
    expect(Array.isArray(logs)).toBe(true);
  });

  it('container logs: /container/log filtered by name on 7.20+, a typed refusal before', async () => {
    const v = await ros.version();
    if (v.minor < 20) {
      await expect(ros.containers.logs(`${P}-none`)).rejects.toMatchObject({ kind: 'invalid', message: expect.stringMatching(/RouterOS 7\.20\+/) });
      return;
    }
    expect(await ros.containers.logs(`${P}-none`)).toEqual([]);
    // Output can only be injected into the simulator; a real router's containers print on their own.
    if (target.real || !target.admin) return;
    const image = await dockerArchive({ architecture: 'arm64' });
    const origin = createServer((_req, res) => res.end(image));
    origin.listen(0, '127.0.0.1');
    await once(origin, 'listening');
    try {
      await ros.fetch.download({ url: `http://127.0.0.1:${(origin.address() as AddressInfo).port}/app.tar`, dstPath: `${P}-img/app.tar` });
    } finally {
      origin.close();
    }
    cleanup.push(() => ros.files.remove(`${P}-img`));
    const veth = await ros.veths.add({ name: `${P}-lv`, addresses: ['127.0.95.2/24'] });
    cleanup.push(() => ros.veths.remove(veth.id));
    for (const name of [`${P}-a`, `${P}-b`]) {
      const c = await ros.containers.add({ name, file: `${P}-img/app.tar`, interfaces: [veth.name], logging: true });
      cleanup.push(async () => {
        await ros.containers.stop(c.id);
        await ros.containers.waitFor(c.id, ['stopped'], { intervalMs: 20 });
        await ros.containers.remove(c.id);
      });
      await ros.containers.waitFor(c.id, ['stopped'], { intervalMs: 20, timeoutMs: 10_000 });
      await ros.containers.start(c.id);
      await ros.containers.waitFor(c.id, ['running'], { intervalMs: 20 });
    }
    const out = (name: string, lines: string[]) => fetch(`${target.admin}/containers/${name}/output`, { method: 'POST', body: JSON.stringify({ lines }) });
    await out(`${P}-a`, ['a1', 'a2']);
    await out(`${P}-b`, ['b1']);
    await out(`${P}-a`, ['a3']);
    const a = await ros.containers.logs(`${P}-a`);
    expect(a.map((l) => l.message)).toEqual(['a1', 'a2', 'a3']);
    expect(a.every((l) => /^\*[0-9A-F]+$/.test(l.id) && l.time instanceof Date)).toBe(true);
    const ids = a.map((l) => parseInt(l.id.slice(1), 16));
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    expect((await ros.containers.logs(`${P}-b`)).map((l) => l.message)).toEqual(['b1']);
  });

  it('wrong credentials are unauthorized and not retried', async () => {
    const bad = new RouterOsClient({ url: target.url, username: target.username, password: 'wrong', ...tlsOptions(target) });
    try {
      await expect(bad.system.resource()).rejects.toMatchObject({ kind: 'unauthorized', status: 401, retryable: false });
    } finally {
      bad.close();
    }
  });
});
