// ipam as a real process over gRPC against the simulated router: the
// contract's behaviour and its error codes.
import * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, unary } from '@mikrotik-kube/grpc-kit';
import { contracts } from '@mikrotik-kube/proto';
import { waitFor } from '@mikrotik-kube/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Ipam, Rig, codeOf } from './harness';

const PODS = { name: 'pods', bridge: 'containers', cidr: '10.20.0.0/24', gateway: '10.20.0.1', dns: ['10.20.0.1'], exclude: ['10.20.0.2'], default: true };
const DMZ = { name: 'dmz', bridge: 'dmz', cidr: '10.30.0.0/29', gateway: '10.30.0.1' };

describe('ipam against the simulated router', () => {
  const rig = new Rig();
  let ipam: Ipam;

  beforeAll(async () => {
    await rig.startRouter(['containers', 'dmz']);
    // Somebody else's veth inside the pool: its address must be skipped and the veth left alone.
    await rig.router.veths.add({ name: 'user-veth', addresses: ['10.20.0.4/24'], gateway: '10.20.0.1' });
    ipam = await rig.startIpam(
      rig.writeConfig('main', [PODS, DMZ, { name: 'ghost', bridge: 'no-such-bridge', cidr: '10.40.0.0/24', gateway: '10.40.0.1' }], { routeros: { timeoutMs: 2000 } }),
    );
  });
  afterAll(async () => {
    ipam?.close();
    await rig.close();
  });

  it('allocates sequentially, creates the veth and its bridge port, and is idempotent', async () => {
    const a = await ipam.allocate('default/web');
    expect(a).toEqual({ owner: 'default/web', network: 'pods', address: '10.20.0.3', prefix_length: 24, gateway: '10.20.0.1', dns: ['10.20.0.1'], bridge: 'containers', veth: 'mk-0a140003' });
    expect(await ipam.allocate('default/web')).toEqual(a);
    expect(await ipam.allocate('default/web', 'pods')).toEqual(a);
    const b = await ipam.allocate('default/db', 'pods');
    expect(b.address).toBe('10.20.0.5'); // .4 belongs to user-veth
    const veth = await rig.router.veths.find('mk-0a140003');
    expect(veth).toMatchObject({ addresses: ['10.20.0.3/24'], gateway: '10.20.0.1', comment: 'mikrotik-kube:ipam owner=default%2Fweb network=pods' });
    expect((await rig.router.bridgePorts.list({ interface: 'mk-0a140003' })).map((p) => p.bridge)).toEqual(['containers']);
    expect(await rig.router.veths.find('user-veth')).toMatchObject({ addresses: ['10.20.0.4/24'] });
    expect((await rig.router.veths.find('user-veth'))?.comment).toBeUndefined();
  });

  it('encodes any owner safely in the tag', async () => {
    const owner = 'ns/pod "quoted" a=b; [find] $x ünï';
    const a = await ipam.allocate(owner);
    expect(a.owner).toBe(owner);
    expect(await ipam.get(owner)).toEqual(a);
    expect((await rig.router.veths.find(a.veth))?.comment).toBe(`mikrotik-kube:ipam owner=${encodeURIComponent(owner)} network=pods`);
    expect(await ipam.release(owner)).toEqual({ released: true });
  });

  it('gets, lists and reports pool usage', async () => {
    expect((await ipam.get('default/db')).address).toBe('10.20.0.5');
    const list = await ipam.list('pods');
    expect(list.allocations.map((a) => [a.owner, a.address])).toEqual([
      ['default/web', '10.20.0.3'],
      ['default/db', '10.20.0.5'],
    ]);
    expect((await ipam.list('dmz')).allocations).toEqual([]);
    const nets = await ipam.networks();
    // /24 without .0, .255, gateway .1 and excluded .2 → 252; used = 2 ours + user-veth.
    expect(nets.networks.find((n) => n.name === 'pods')).toMatchObject({ cidr: '10.20.0.0/24', default: true, size: 252, used: 3, free: 249 });
    expect(nets.networks.find((n) => n.name === 'dmz')).toMatchObject({ default: false, size: 5, used: 0, free: 5 });
    const metrics = (await ipam.http('/metrics')).body;
    expect(metrics).toMatch(/mikrotik_kube_ipam_pool_size\{[^}]*network="pods"[^}]*\} 252/);
    expect(metrics).toMatch(/mikrotik_kube_ipam_pool_free\{[^}]*network="pods"[^}]*\} 249/);
    expect(metrics).toMatch(/mikrotik_kube_ipam_allocation_duration_seconds_count\{[^}]*network="pods"[^}]*outcome="OK"[^}]*\} \d+/);
    expect((await ipam.http('/readyz')).status).toBe(200);
  });

  it('releases the bridge port and the veth, and is idempotent', async () => {
    const a = await ipam.allocate('default/tmp');
    expect(await ipam.release('default/tmp')).toEqual({ released: true });
    expect(await rig.router.veths.find(a.veth)).toBeUndefined();
    expect(await rig.router.bridgePorts.list({ interface: a.veth })).toEqual([]);
    expect(await ipam.release('default/tmp')).toEqual({ released: false });
    expect(await codeOf(ipam.get('default/tmp'))).toBe(status.NOT_FOUND);
  });

  it('refuses malformed protobuf (truncated field, invalid UTF-8, garbage) with INVALID_ARGUMENT and allocates nothing', async () => {
    const raw = new grpc.Client(`127.0.0.1:${ipam.grpcPort}`, grpc.credentials.createInsecure());
    const call = (method: string, bytes: number[]) =>
      new Promise<{ code: number; details: string }>((resolve) => {
        raw.makeUnaryRequest(`/mikrotik.kube.v1.Ipam/${method}`, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(bytes), (err) =>
          resolve({ code: err?.code ?? status.OK, details: err?.details ?? '' }),
        );
      });
    try {
      const before = (await ipam.list()).allocations;
      // owner: field 1, declared 5 bytes, 1 sent ("a").
      expect(await call('Allocate', [0x0a, 0x05, 0x61])).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/owner.*truncated/) });
      expect(await call('Allocate', [0x0a, 0x02, 0xff, 0xfe])).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/owner.*UTF-8/) });
      // A tag with nothing after it, and a varint that never ends.
      expect((await call('Allocate', [0x0a, 0x01, 0x61, 0x12])).code).toBe(status.INVALID_ARGUMENT);
      expect((await call('Release', [0x08, 0xff, 0xff])).code).toBe(status.INVALID_ARGUMENT);
      // Repeated string inside Reconcile (live_owners), truncated.
      expect((await call('Reconcile', [0x0a, 0x03, 0x61, 0x62, 0x0a, 0x09, 0x63])).code).toBe(status.INVALID_ARGUMENT);
      expect((await ipam.list()).allocations).toEqual(before);
      expect(await codeOf(ipam.get('a'))).toBe(status.NOT_FOUND);
      // Well-formed bytes still work through the same path.
      await ipam.allocate('raw/ok');
      expect((await call('Get', [0x0a, 0x06, ...Buffer.from('raw/ok')])).code).toBe(status.OK);
      expect(await ipam.release('raw/ok')).toEqual({ released: true });
    } finally {
      raw.close();
    }
  });

  it('maps bad requests to their codes', async () => {
    expect(await codeOf(ipam.allocate('x', 'nope'))).toBe(status.NOT_FOUND);
    expect(await codeOf(ipam.allocate(''))).toBe(status.INVALID_ARGUMENT);
    expect(await codeOf(ipam.allocate('a\u0000b'))).toBe(status.INVALID_ARGUMENT);
    expect(await codeOf(ipam.list('nope'))).toBe(status.NOT_FOUND);
    // One owner, one address: asking for another network is a conflict, not a second address.
    expect(await codeOf(ipam.allocate('default/web', 'dmz'))).toBe(status.ALREADY_EXISTS);
  });

  it('answers RESOURCE_EXHAUSTED when the pool is full and reuses released addresses', async () => {
    const got = [];
    for (let i = 0; i < 5; i++) got.push((await ipam.allocate(`dmz/${i}`, 'dmz')).address);
    expect(got).toEqual(['10.30.0.2', '10.30.0.3', '10.30.0.4', '10.30.0.5', '10.30.0.6']);
    expect(await codeOf(ipam.allocate('dmz/5', 'dmz'))).toBe(status.RESOURCE_EXHAUSTED);
    await ipam.release('dmz/2');
    expect((await ipam.allocate('dmz/5', 'dmz')).address).toBe('10.30.0.4');
  });

  it('leaves no veth behind when the router refuses the bridge port', async () => {
    expect(await codeOf(ipam.allocate('ghost/a', 'ghost'))).toBe(status.FAILED_PRECONDITION);
    expect((await rig.tagged()).filter((v) => v.comment.includes('ghost'))).toEqual([]);
  });

  it('answers UNAVAILABLE when the router does not answer in time, and removes the late veth', async () => {
    const before = (await rig.tagged()).length;
    await rig.faults({ latencyMs: 2500 }); // over routeros.timeoutMs (2 s)
    try {
      expect(await codeOf(ipam.allocate('slow/a'))).toBe(status.UNAVAILABLE);
    } finally {
      await rig.faults({ latencyMs: 0 });
    }
    // The add reached the router after ipam gave up; the background cleanup takes it back.
    await waitFor(async () => (await rig.tagged()).length === before && !(await rig.tagged()).some((v) => v.comment.includes('slow')), 30_000, 250);
    expect((await ipam.allocate('slow/a')).owner).toBe('slow/a');
  });

  it('answers UNAVAILABLE when the reply to the veth add is lost, and takes the veth back', async () => {
    await rig.faults({ dropNextReplies: 1 }); // the router makes the veth, the client never hears so
    expect(await codeOf(ipam.allocate('lost/a'))).toBe(status.UNAVAILABLE);
    expect((await rig.tagged()).filter((v) => v.comment.includes('lost'))).toEqual([]);
    const a = await ipam.allocate('lost/a');
    expect((await rig.tagged()).filter((v) => v.comment.includes('lost')).map((v) => v.name)).toEqual([a.veth]);
    await ipam.release('lost/a');
  });

  it('releases owners that are gone on Reconcile, dry-run first', async () => {
    const live = ['default/web', 'default/db', 'slow/a'];
    const dry = await ipam.reconcile(live, true);
    expect(dry.released).toEqual(['dmz/0', 'dmz/1', 'dmz/3', 'dmz/4', 'dmz/5']);
    expect((await ipam.list('dmz')).allocations).toHaveLength(5);
    const real = await ipam.reconcile(live, false);
    expect(real.released).toEqual(dry.released);
    expect((await ipam.list()).allocations.map((a) => a.owner).sort()).toEqual(live.sort());
    expect((await rig.tagged()).map((v) => v.comment).filter((c) => c.includes('dmz'))).toEqual([]);
  });
});

describe('ipam start-up', () => {
  const rig = new Rig();
  beforeAll(() => rig.startRouter(['containers']));
  afterAll(() => rig.close());

  it('exits 2 naming the field of a bad network', async () => {
    const cfg = rig.writeConfig('bad', [{ ...PODS, gateway: '10.99.0.1' }]);
    const ipam = await rig.startIpam(cfg, { waitReady: false });
    expect((await ipam.proc.exited).code).toBe(2);
    expect(ipam.proc.output()).toContain('networks.0.gateway');
    expect(ipam.proc.output()).toContain('outside 10.20.0.0/24');
    ipam.close();
  });

  it('is not ready and answers UNAVAILABLE until it has synced from the router', async () => {
    const cfg = rig.writeConfig('dead', [PODS], { routeros: { url: 'http://127.0.0.1:9/rest', timeoutMs: 500 } });
    const ipam = await rig.startIpam(cfg, { waitReady: false });
    await ipam.proc.waitForLine(/sync from the router failed/);
    expect((await ipam.http('/readyz')).status).toBe(503);
    expect(await codeOf(ipam.allocate('a'))).toBe(status.UNAVAILABLE);
    ipam.close();
  });

  it('adopts tagged veths, completes a missing bridge port and keeps grace periods', async () => {
    // An allocation interrupted between the veth and the bridge port (as after a crash).
    await rig.router.veths.add({ name: 'mk-0a140009', addresses: ['10.20.0.9/24'], gateway: '10.20.0.1', comment: 'mikrotik-kube:ipam owner=old%2Fpod network=pods' });
    const ipam = await rig.startIpam(rig.writeConfig('grace', [PODS], { reconcile: { graceSeconds: 3600 } }));
    expect((await rig.router.bridgePorts.list({ interface: 'mk-0a140009' })).map((p) => p.bridge)).toEqual(['containers']);
    expect((await ipam.get('old/pod')).address).toBe('10.20.0.9');
    // The cursor resumes after the most recent allocation.
    expect((await ipam.allocate('new/pod')).address).toBe('10.20.0.10');
    expect(await ipam.reconcile(['new/pod'])).toEqual({ released: [], pending: ['old/pod'] });
    expect((await ipam.get('old/pod')).address).toBe('10.20.0.9');
    ipam.close();
  });
});

describe('ipam with the release token (grpc.tokenFile)', () => {
  const rig = new Rig();
  let ipam: Ipam;
  let tokenFile: string;
  beforeAll(async () => {
    await rig.startRouter(['containers']);
    tokenFile = join(rig.dir, 'grpc-token');
    writeFileSync(tokenFile, `${randomBytes(24).toString('hex')}\n`);
    ipam = await rig.startIpam(rig.writeConfig('token', [PODS]), { args: ['--grpc.token-file', tokenFile] });
  });
  afterAll(async () => {
    ipam?.close();
    await rig.close();
  });

  it('refuses a client without the token or with another one (UNAUTHENTICATED) and serves one with it', async () => {
    // The harness client sends no token: a pod without the Secret.
    expect(await codeOf(ipam.allocate('foreign/pod'))).toBe(status.UNAUTHENTICATED);
    expect(await codeOf(ipam.release('default/web'))).toBe(status.UNAUTHENTICATED);
    const wrongFile = join(rig.dir, 'wrong-token');
    writeFileSync(wrongFile, 'not-the-token');
    const wrong = createClient(contracts.ipam().Ipam, `127.0.0.1:${ipam.grpcPort}`, { maxAttempts: 1, tokenFile: wrongFile });
    const right = createClient(contracts.ipam().Ipam, `127.0.0.1:${ipam.grpcPort}`, { maxAttempts: 1, tokenFile });
    try {
      expect(await codeOf(unary(wrong, 'Allocate', { owner: 'foreign/pod', network: '' }))).toBe(status.UNAUTHENTICATED);
      expect((await rig.tagged()).map((v) => v.comment)).toEqual([]);
      expect((await unary(right, 'Allocate', { owner: 'default/web', network: '' })).address).toBe('10.20.0.3');
      // Health stays open for probes and load balancers.
      const health = new grpc.Client(`127.0.0.1:${ipam.grpcPort}`, grpc.credentials.createInsecure());
      const serving = await new Promise<number>((resolve) =>
        health.makeUnaryRequest('/grpc.health.v1.Health/Check', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (err, res) => resolve(err ? -1 : (res?.[1] ?? 0))),
      );
      health.close();
      expect(serving).toBe(1); // SERVING
    } finally {
      wrong.close();
      right.close();
    }
  });
});
