import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '@mikrotik-kube/test-support';
import { dockerArchive, type Simulator } from '../src/index';
import { startSim, waitFor, type Caller } from './helpers';

type Obj = Record<string, string>;

async function prepare(sim: Simulator, call: Caller, name: string, ip: string): Promise<string> {
  const p = sim.context.files.resolve('disk1/app.tar');
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, await dockerArchive({ architecture: 'arm64' }));
  await call('PUT', '/interface/veth', { name: `veth-${name}`, address: `${ip}/24` });
  const c = (await call('PUT', '/container', { name, file: 'disk1/app.tar', interface: `veth-${name}`, logging: true })).body as Obj;
  await waitFor(async () => (((await call('GET', `/container/${name}`)).body as Obj)['stopped'] === 'true' ? true : undefined));
  return c['.id'] as string;
}

const tcpOpen = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

const running = (call: Caller, name: string) => waitFor(async () => (((await call('GET', `/container/${name}`)).body as Obj)['running'] === 'true' ? true : undefined));

describe('container faults and output', () => {
  it('crashAfterMs makes every started container exit; a TCP listener closes with it', async () => {
    const { sim, call, admin } = await startSim({ faults: { extractMs: 20, crashAfterMs: 150 } });
    try {
      await prepare(sim, call, 'db', '127.0.78.2');
      const port = await freePort();
      await fetch(`${admin}/containers/db/listen`, { method: 'POST', body: JSON.stringify({ port, kind: 'tcp' }) });
      await call('POST', '/container/start', { '.id': 'db' });
      await running(call, 'db');
      expect(await waitFor(async () => ((await tcpOpen('127.0.78.2', port)) ? true : undefined))).toBe(true);
      await waitFor(async () => (((await call('GET', '/container/db')).body as Obj)['stopped'] === 'true' ? true : undefined));
      expect(await tcpOpen('127.0.78.2', port)).toBe(false);
      const log = ((await call('GET', '/log?topics=container')).body as Obj[]).map((l) => l['message']);
      expect(log).toContain('db: *** error: exited with status 255');
    } finally {
      await sim.stop();
    }
  });

  it('starting a container whose veth was removed fails on the router with a log line', async () => {
    const { sim, call } = await startSim({ faults: { extractMs: 20 } });
    try {
      await prepare(sim, call, 'orphan', '127.0.82.2');
      expect((await call('DELETE', '/interface/veth/veth-orphan')).status).toBe(204);
      expect((await call('POST', '/container/start', { '.id': 'orphan' })).body).toEqual([]);
      await waitFor(async () => {
        const log = ((await call('GET', '/log?topics=container')).body as Obj[]).map((l) => l['message']);
        return log.includes('orphan: could not acquire interface: no device (6)') ? true : undefined;
      });
      expect(((await call('GET', '/container/orphan')).body as Obj)['stopped']).toBe('true');
    } finally {
      await sim.stop();
    }
  });

  it('container output reaches /log only while running with logging=yes; listen needs a 127.x veth', async () => {
    const { sim, call, admin } = await startSim({ faults: { extractMs: 20 } });
    try {
      await prepare(sim, call, 'web', '127.0.79.2');
      const out = (lines: string[]) => fetch(`${admin}/containers/web/output`, { method: 'POST', body: JSON.stringify({ lines }) });
      await out(['before start']);
      await call('POST', '/container/start', { '.id': 'web' });
      await running(call, 'web');
      await out(['listening on :80']);
      await call('PATCH', '/container/web', { logging: 'no' });
      await out(['not logged']);
      const log = ((await call('GET', '/log?topics=container')).body as Obj[]).map((l) => l['message']);
      expect(log).toContain('listening on :80');
      expect(log).not.toContain('before start');
      expect(log).not.toContain('not logged');
      await call('PUT', '/interface/veth', { name: 'veth-far', address: '10.0.0.9/24' });
      await call('POST', '/container/stop', { '.id': 'web' });
      await waitFor(async () => (((await call('GET', '/container/web')).body as Obj)['stopped'] === 'true' ? true : undefined));
      expect((await call('PATCH', '/container/web', { interface: 'veth-far' })).status).toBe(200);
      const far = await fetch(`${admin}/containers/web/listen`, { method: 'POST', body: JSON.stringify({ port: 8080 }) });
      expect(far.status).toBe(400);
      expect(await far.json()).toMatchObject({ detail: 'container has no veth address in 127.0.0.0/8' });
      const r = await fetch(`${admin}/containers/nope/listen`, { method: 'POST', body: JSON.stringify({ port: 80 }) });
      expect(r.status).toBe(404);
      const bad = await fetch(`${admin}/containers/web/listen`, { method: 'POST', body: JSON.stringify({ port: 0 }) });
      expect(bad.status).toBe(400);
    } finally {
      await sim.stop();
    }
  });

  it('a restart is a reboot: start-on-boot containers run (and listen) again, the others come up stopped', async () => {
    const first = await startSim({ faults: { extractMs: 20 } });
    const port = await freePort();
    await prepare(first.sim, first.call, 'svc', '127.0.80.2');
    await prepare(first.sim, first.call, 'adhoc', '127.0.81.2');
    await first.call('PATCH', '/container/svc', { 'start-on-boot': 'yes' });
    await fetch(`${first.admin}/containers/svc/listen`, { method: 'POST', body: JSON.stringify({ port, kind: 'http' }) });
    for (const n of ['svc', 'adhoc']) {
      await first.call('POST', '/container/start', { '.id': n });
      await running(first.call, n);
    }
    await first.sim.stop();
    const second = await startSim({ dataDir: first.dataDir });
    try {
      expect(((await second.call('GET', '/container/adhoc')).body as Obj)['stopped']).toBe('true');
      await running(second.call, 'svc');
      const body = await waitFor(() => fetch(`http://127.0.80.2:${port}/`).then((r) => r.text(), () => undefined));
      expect(body).toBe('ok\n');
    } finally {
      await second.sim.stop();
    }
  });
});
