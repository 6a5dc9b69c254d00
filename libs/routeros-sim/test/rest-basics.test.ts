import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type Caller } from './helpers';
import type { Simulator } from '../src/index';

describe('REST verbs, ids, filters and errors', () => {
  let sim: Simulator;
  let call: Caller;
  beforeAll(async () => {
    ({ sim, call } = await startSim());
  });
  afterAll(() => sim.stop());

  it('PUT adds and returns the whole object with string values and a *HEX id', async () => {
    const r = await call('PUT', '/interface/veth', { name: 'veth1', address: '10.0.0.2/24', gateway: '10.0.0.1', disabled: false });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ '.id': '*1', name: 'veth1', address: '10.0.0.2/24', disabled: 'false', running: 'true' });
    expect(Object.keys(r.body as object)[0]).toBe('.id');
    expect(Object.values(r.body as object).every((v) => typeof v === 'string')).toBe(true);
  });

  it('refuses a duplicate interface name across interface kinds', async () => {
    const r = await call('PUT', '/interface/bridge', { name: 'veth1' });
    expect(r).toMatchObject({ status: 400, body: { error: 400, message: 'Bad Request', detail: 'failure: already have interface with such name' } });
    expect((await call('GET', '/interface/bridge')).body).toEqual([]);
  });

  it('GET by id, by name, filters and .proplist', async () => {
    await call('PUT', '/interface/veth', { name: 'veth2', address: '10.0.0.3/24', disabled: 'yes' });
    expect((await call('GET', '/interface/veth/*1')).body).toMatchObject({ name: 'veth1' });
    expect((await call('GET', '/interface/veth/veth2')).body).toMatchObject({ '.id': '*2', disabled: 'true' });
    expect((await call('GET', '/interface/veth?disabled=yes')).body).toEqual([expect.objectContaining({ name: 'veth2' })]);
    expect((await call('GET', '/interface/veth?.proplist=name')).body).toEqual([{ '.id': '*1', name: 'veth1' }, { '.id': '*2', name: 'veth2' }]);
    expect((await call('GET', '/interface/veth?name=nope')).body).toEqual([]);
  });

  it('PATCH sets, DELETE removes, the second DELETE is 404 without detail', async () => {
    expect((await call('PATCH', '/interface/veth/*2', { comment: 'x' })).body).toMatchObject({ comment: 'x' });
    const d = await call('DELETE', '/interface/veth/*2');
    expect(d.status).toBe(204);
    expect(await call('DELETE', '/interface/veth/*2')).toMatchObject({ status: 404, body: { error: 404, message: 'Not Found' } });
    expect((await call('GET', '/interface/veth/*2')).status).toBe(404);
  });

  it('POST add/set/remove/print with .query and count-only', async () => {
    const add = await call('POST', '/interface/bridge/add', { name: 'br0' });
    expect(add.body).toEqual({ ret: '*1' });
    expect((await call('POST', '/interface/bridge/set', { '.id': '*1', comment: 'c' })).body).toEqual([]);
    const q = await call('POST', '/interface/veth/print', { '.query': ['name=veth1', 'name=br0', '#|'], '.proplist': 'name' });
    expect(q.body).toEqual([{ '.id': '*1', name: 'veth1' }]);
    expect((await call('POST', '/interface/veth/print', { 'count-only': '' })).body).toEqual({ ret: '1' });
    const port = await call('POST', '/interface/bridge/port/add', { bridge: 'br0', interface: 'veth1' });
    expect(port.body).toEqual({ ret: '*1' });
    expect((await call('POST', '/interface/bridge/port/add', { bridge: 'br0', interface: 'veth1' })).body).toMatchObject({ detail: 'failure: device already added as bridge port' });
    expect((await call('POST', '/interface/bridge/port/add', { bridge: 'br0', interface: 'nope' })).body).toMatchObject({ detail: 'input does not match any value of interface' });
    expect((await call('POST', '/interface/bridge/port/remove', { '.id': '*1' })).body).toEqual([]);
    expect((await call('POST', '/interface/bridge/port/remove', { '.id': '*1' })).body).toEqual({ detail: 'no such item', error: 400, message: 'Bad Request' });
    expect((await call('POST', '/interface/bridge/set', { '.id': '*99', comment: 'x' })).body).toMatchObject({ detail: 'no such item' });
  });

  it('maps errors like the router', async () => {
    expect((await call('GET', '/nope/x')).body).toEqual({ detail: 'no such command or directory (nope)', error: 400, message: 'Bad Request' });
    expect((await call('POST', '/interface/remove', {})).body).toMatchObject({ detail: 'no such command or directory (remove)' });
    expect((await call('GET', '/interface/veth/print')).body).toMatchObject({ detail: 'no such command' });
    expect((await call('GET', '/interface/bridge/port/br0')).body).toMatchObject({ detail: 'no such command prefix' });
    expect((await call('GET', '/interface/veth/%2A1')).body).toMatchObject({ detail: 'no such command prefix' });
    expect((await call('PUT', '/interface/veth', { name: 'v9', bogus: '1' })).body).toMatchObject({ detail: 'unknown parameter bogus' });
    expect((await call('PUT', '/interface/veth', { name: 'v9', address: 'nonsense' })).body).toMatchObject({ detail: 'invalid value for argument address' });
    expect((await call('PUT', '/ip/address', { interface: 'veth1' })).body).toMatchObject({ detail: 'missing =address=' });
    expect((await call('PUT', '/interface/veth', undefined, { raw: '{"name":"v9","mtu":1e3}', headers: { 'content-type': 'application/json' } })).body).toMatchObject({ detail: 'Failed to parse json' });
    expect((await call('PUT', '/interface/veth', undefined, { raw: '{"name":"v9"}', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await call('PATCH', '/interface/veth', { comment: 'x' })).body).toMatchObject({ detail: 'missing or invalid resource identifier' });
    expect((await call('HEAD', '/interface/veth')).status).toBe(501);
    const unauth = await call('GET', '/interface/veth', undefined, { password: 'bad' });
    expect(unauth).toMatchObject({ status: 401, body: { error: 401, message: 'Unauthorized' } });
    expect(unauth.headers.get('www-authenticate')).toMatch(/^Basic/);
    const log = (await call('GET', '/log?topics=system,error,critical')).body as Array<{ message: string }>;
    expect(log.at(-1)?.message).toMatch(/login failure for user admin/);
    expect((await call('GET', '/interface/veth?name=v9')).body).toEqual([]);
  });

  it('singletons are bare objects without .id, set via POST /set', async () => {
    const res = (await call('GET', '/system/resource')).body as Record<string, string>;
    expect(res).not.toHaveProperty('.id');
    expect(res).toMatchObject({ 'architecture-name': 'arm64', platform: 'MikroTik' });
    expect(res['version']).toMatch(/^7\.21/);
    expect((await call('POST', '/container/config/set', { 'registry-url': 'http://127.0.0.1:5000', password: 's' })).body).toEqual([]);
    const cfg = (await call('GET', '/container/config')).body as Record<string, string>;
    expect(cfg).toMatchObject({ 'registry-url': 'http://127.0.0.1:5000' });
    expect(cfg).not.toHaveProperty('password');
    expect((await call('PATCH', '/container/config', { tmpdir: 'x' })).status).toBe(400);
  });

  it('ip/address derives network and defaults to /32', async () => {
    const a = await call('PUT', '/ip/address', { address: '10.0.0.1/24', interface: 'br0' });
    expect(a.body).toMatchObject({ address: '10.0.0.1/24', network: '10.0.0.0', interface: 'br0', 'actual-interface': 'br0' });
    const b = await call('PUT', '/ip/address', { address: '192.168.111.111', interface: 'br0' });
    expect(b.body).toMatchObject({ address: '192.168.111.111/32' });
  });

  it('rejects bodies over the limit with 413', async () => {
    const big = 'x'.repeat(10 * 1024 * 1024 + 10);
    const r = await call('PUT', '/interface/veth', undefined, { raw: big, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(413);
  });

  it('exposes the state to plugins through the same menus', () => {
    expect(sim.state.menu('interface/veth').get('veth1')).toMatchObject({ name: 'veth1' });
    expect(() => sim.state.menu('interface/veth').add({ name: 'veth1' })).toThrow(/already have interface/);
  });
});
