// Faults injected in the simulator surface as typed, retryable-or-not client errors; retries
// happen only for idempotent calls (counted by the simulator's /_sim/stats).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Simulator } from '@mikrotik-kube/routeros-sim';
import { RouterOsClient } from '../src/index';

describe('faults → typed errors and retries', () => {
  let sim: Simulator;
  let ros: RouterOsClient;
  let admin: string;
  const faults = (f: object) => fetch(`${admin}/faults`, { method: 'PUT', body: JSON.stringify(f) });
  const stats = async () => (await (await fetch(`${admin}/stats`)).json()) as { total: number; byRoute: Record<string, number> };

  beforeAll(async () => {
    sim = new Simulator({ users: { u: 'p' }, requestLimitMs: 400 });
    const urls = await sim.start();
    admin = urls.admin;
    ros = new RouterOsClient({ url: urls.rest, username: 'u', password: 'p', retryDelayMs: 10, timeoutMs: 2000 });
  });
  afterEach(async () => {
    await faults({ errorRate: 0, resetRate: 0, latencyMs: 0, dropNextReplies: 0 });
    await fetch(`${admin}/stats/reset`, { method: 'POST' });
  });
  afterAll(async () => {
    ros.close();
    await sim.stop();
  });

  it('500s: GET is retried 3 times then fails unavailable+retryable; PUT is tried once', async () => {
    await faults({ errorRate: 1 });
    await expect(ros.veths.list()).rejects.toMatchObject({ kind: 'unavailable', status: 500, retryable: true });
    await expect(ros.veths.add({ name: 'v', addresses: [] })).rejects.toMatchObject({ kind: 'unavailable', retryable: true });
    const s = await stats();
    expect(s.byRoute['GET interface/veth']).toBe(3);
    expect(s.byRoute['PUT interface/veth']).toBe(1);
  });

  it('connection resets are unavailable and retryable; POST commands are not repeated', async () => {
    await faults({ resetRate: 1 });
    await expect(ros.bridges.list()).rejects.toMatchObject({ kind: 'unavailable', retryable: true, status: undefined });
    await expect(ros.menu('interface/bridge').command('add', { name: 'b' })).rejects.toMatchObject({ kind: 'unavailable' });
    const s = await stats();
    expect(s.byRoute['GET interface/bridge']).toBe(3);
    expect(s.byRoute['POST interface/bridge/add']).toBe(1);
  });

  it('a DELETE by id whose reply was lost is retried and the 404 counts as success', async () => {
    const b = await ros.bridges.add({ name: 'gone' });
    await faults({ dropNextReplies: 1 });
    await ros.bridges.remove(b.id);
    expect(await ros.bridges.find('gone')).toBeUndefined();
    expect((await stats()).byRoute['DELETE interface/bridge']).toBe(2);
  });

  it('a slow router times out (retryable), a request over the router limit is session-closed', async () => {
    await faults({ latencyMs: 300 });
    await expect(ros.veths.list({ timeoutMs: 100 })).rejects.toMatchObject({ kind: 'timeout', retryable: true });
    await faults({ latencyMs: 600 });
    await expect(ros.veths.add({ name: 'slow', addresses: [] })).rejects.toMatchObject({ kind: 'session-closed', status: 400, detail: 'Session closed', retryable: true });
  });

  it('a recovered router answers on retry', async () => {
    await faults({ dropNextReplies: 2 });
    expect(Array.isArray(await ros.veths.list())).toBe(true);
  });

  it('bodies over 10 MB are too-large', async () => {
    await expect(ros.files.add({ name: 'big.txt', contents: 'x'.repeat(11 * 1024 * 1024) })).rejects.toMatchObject({ kind: 'too-large', status: 413, retryable: false });
  });

  it('refuses a URL that is not a /rest base', () => {
    expect(() => new RouterOsClient({ url: 'http://127.0.0.1:1/api', username: 'u', password: 'p' })).toThrow(/\/rest/);
  });
});

const noOpenssl = !existsSync('/usr/bin/openssl');

describe.skipIf(noOpenssl)('TLS (needs openssl)', () => {
  let sim: Simulator;
  let rest: string;
  let cert: string;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ros-tls-'));
    cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=router', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    sim = new Simulator({ users: { u: 'p' }, tls: { cert, key } });
    ({ rest } = await sim.start());
  });
  afterAll(() => sim.stop());

  it('verifies by default: untrusted certificate → tls error, not retried', async () => {
    const ros = new RouterOsClient({ url: rest, username: 'u', password: 'p' });
    try {
      await expect(ros.system.resource()).rejects.toMatchObject({ kind: 'tls', retryable: false });
      expect(sim.rest.stats.total).toBe(0);
    } finally {
      ros.close();
    }
  });

  it('trusts the configured CA', async () => {
    const ros = new RouterOsClient({ url: rest, username: 'u', password: 'p', ca: readFileSync(cert) });
    try {
      expect((await ros.system.resource()).platform).toBe('MikroTik');
    } finally {
      ros.close();
    }
  });

  it('skips verification only when asked explicitly', async () => {
    const ros = new RouterOsClient({ url: rest, username: 'u', password: 'p', insecureSkipVerify: true });
    try {
      expect((await ros.system.resource()).platform).toBe('MikroTik');
    } finally {
      ros.close();
    }
  });
});
