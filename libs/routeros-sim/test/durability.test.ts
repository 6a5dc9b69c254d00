import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSim } from './helpers';

type Obj = Record<string, string>;

describe('persistence, per-user serialisation and faults', () => {
  it('state survives a restart and id counters continue', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sim-persist-'));
    const a = await startSim({ dataDir });
    await a.call('PUT', '/interface/veth', { name: 'v1' });
    await a.call('PUT', '/interface/veth', { name: 'v2' });
    await a.call('DELETE', '/interface/veth/*2');
    await a.sim.stop();
    const b = await startSim({ dataDir });
    try {
      expect(((await b.call('GET', '/interface/veth')).body as Obj[]).map((v) => v['name'])).toEqual(['v1']);
      expect(((await b.call('PUT', '/interface/veth', { name: 'v3' })).body as Obj)['.id']).toBe('*3');
    } finally {
      await b.sim.stop();
    }
  });

  it('serves one user one request at a time and different users in parallel', async () => {
    const { sim, call, admin } = await startSim({ faults: { latencyMs: 40 } });
    try {
      await Promise.all([1, 2, 3, 4].map(() => call('GET', '/interface/veth')));
      let stats = (await (await fetch(`${admin}/stats`)).json()) as { peakConcurrency: { overall: number; byUser: Obj } };
      expect(stats.peakConcurrency.byUser['admin']).toBe(1);
      await Promise.all([call('GET', '/interface/veth'), call('GET', '/interface/veth', undefined, { user: 'other', password: 'pw2' })]);
      stats = (await (await fetch(`${admin}/stats`)).json()) as typeof stats;
      expect(stats.peakConcurrency.overall).toBe(2);
    } finally {
      await sim.stop();
    }
  });

  it('a request past the limit gets Session closed, and so do the ones queued behind it', async () => {
    const { sim, call } = await startSim({ faults: { latencyMs: 300 }, requestLimitMs: 150 });
    try {
      const replies = await Promise.all([call('GET', '/log'), call('GET', '/log'), call('GET', '/log', undefined, { user: 'other', password: 'pw2' })]);
      for (const r of replies) expect(r.body).toEqual({ detail: 'Session closed', error: 400, message: 'Bad Request' });
    } finally {
      await sim.stop();
    }
  });

  it('fault knobs: 500s, resets, lost replies; counted in /_sim/stats; bad knobs refused', async () => {
    const { sim, call, admin } = await startSim();
    const setFaults = (f: object) => fetch(`${admin}/faults`, { method: 'PUT', body: JSON.stringify(f) });
    try {
      await setFaults({ errorRate: 1 });
      expect(await call('GET', '/interface/veth')).toMatchObject({ status: 500, body: { error: 500 } });
      await setFaults({ errorRate: 0, resetRate: 1 });
      await expect(call('GET', '/interface/veth')).rejects.toThrow();
      await setFaults({ resetRate: 0, dropNextReplies: 1 });
      await expect(call('PUT', '/interface/veth', { name: 'lost' })).rejects.toThrow();
      expect(((await call('GET', '/interface/veth')).body as Obj[]).map((v) => v['name'])).toEqual(['lost']);
      expect((await setFaults({ errorRate: 2 })).status).toBe(400);
      expect((await setFaults({ bogus: 1 })).status).toBe(400);
      const stats = (await (await fetch(`${admin}/stats`)).json()) as { total: number; byRoute: Obj };
      expect(stats.byRoute['GET interface/veth']).toBe(3);
      expect(stats.byRoute['PUT interface/veth']).toBe(1);
    } finally {
      await sim.stop();
    }
  });
});
