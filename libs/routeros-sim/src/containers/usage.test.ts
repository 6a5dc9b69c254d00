// /container usage (7.23+): `memory-current` and `cpu-usage` on each row, set through the admin
// endpoint while the container runs, 0 when it is not, absent before 7.23.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSim, waitFor, type Caller } from '../../test/helpers';
import { dockerArchive } from '../fixtures/image-builder';
import type { Simulator } from '../simulator';

type Obj = Record<string, string>;

async function addContainer(sim: Simulator, call: Caller, name: string, ip: string): Promise<void> {
  const p = sim.context.files.resolve('disk1/app.tar');
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, await dockerArchive({ architecture: 'arm64' }));
  await call('PUT', '/interface/veth', { name: `veth-${name}`, address: `${ip}/24` });
  await call('PUT', '/container', { name, file: 'disk1/app.tar', interface: `veth-${name}` });
  await waitFor(async () => (((await call('GET', `/container/${name}`)).body as Obj)['stopped'] === 'true' ? true : undefined));
}

async function state(call: Caller, name: string, flag: string): Promise<Obj> {
  return waitFor(async () => {
    const row = (await call('GET', `/container/${name}`)).body as Obj;
    return row[flag] === 'true' ? row : undefined;
  });
}

const setUsage = (admin: string, name: string, body: unknown) =>
  fetch(`${admin}/containers/${name}/usage`, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as Obj }));

describe('/container usage', () => {
  it('7.23: 0 while stopped, a plausible default while running, then what the admin endpoint sets; 0 again once stopped', async () => {
    const { sim, call, admin } = await startSim({ version: '7.23', faults: { extractMs: 20 } });
    try {
      await addContainer(sim, call, 'web', '127.0.94.2');
      const stopped = (await call('GET', '/container/web')).body as Obj;
      expect([stopped['memory-current'], stopped['cpu-usage']]).toEqual(['0', '0']);

      await call('POST', '/container/start', { '.id': 'web' });
      const running = await state(call, 'web', 'running');
      expect(Number(running['memory-current'])).toBeGreaterThan(1024 * 1024);
      expect(Number(running['cpu-usage'])).toBeGreaterThanOrEqual(0);

      expect((await setUsage(admin, 'web', { memoryBytes: 52_428_800, cpuPercent: 37.5 })).status).toBe(200);
      const set = (await call('GET', '/container')).body as Obj[];
      expect(set.find((r) => r['name'] === 'web')).toMatchObject({ 'memory-current': '52428800', 'cpu-usage': '37.5' });
      // Only the fields given change; hidden fields never show.
      await setUsage(admin, 'web', { cpuPercent: 2 });
      const row = (await call('GET', '/container/web')).body as Obj;
      expect([row['memory-current'], row['cpu-usage']]).toEqual(['52428800', '2']);
      expect(Object.keys(row).filter((k) => k.startsWith('_'))).toEqual([]);

      await call('POST', '/container/stop', { '.id': 'web' });
      const after = await state(call, 'web', 'stopped');
      expect([after['memory-current'], after['cpu-usage']]).toEqual(['0', '0']);
    } finally {
      await sim.stop();
    }
  });

  it('bad usage is refused and changes nothing; an unknown container is 404', async () => {
    const { sim, call, admin } = await startSim({ version: '7.24', faults: { extractMs: 20 } });
    try {
      await addContainer(sim, call, 'db', '127.0.95.2');
      await call('POST', '/container/start', { '.id': 'db' });
      await state(call, 'db', 'running');
      await setUsage(admin, 'db', { memoryBytes: 1000, cpuPercent: 5 });
      for (const bad of [{}, { memoryBytes: -1 }, { memoryBytes: 1.5 }, { memoryBytes: '10' }, { cpuPercent: 101 }, { cpuPercent: -0.1 }, { memoryBytes: 5, cpuPercent: 'x' }]) {
        expect((await setUsage(admin, 'db', bad)).status, JSON.stringify(bad)).toBe(400);
      }
      const row = (await call('GET', '/container/db')).body as Obj;
      expect([row['memory-current'], row['cpu-usage']]).toEqual(['1000', '5']);
      expect((await setUsage(admin, 'nope', { cpuPercent: 1 })).status).toBe(404);
    } finally {
      await sim.stop();
    }
  });

  it('7.22 and older report no usage fields', async () => {
    const { sim, call } = await startSim({ version: '7.22', faults: { extractMs: 20 } });
    try {
      await addContainer(sim, call, 'old', '127.0.96.2');
      await call('POST', '/container/start', { '.id': 'old' });
      const row = await state(call, 'old', 'running');
      expect(row).not.toHaveProperty('memory-current');
      expect(row).not.toHaveProperty('cpu-usage');
    } finally {
      await sim.stop();
    }
  });
});
