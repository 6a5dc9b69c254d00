// /container/log (RouterOS 7.20+): what containers print, with the container's name as a field,
// read-only and bounded like /log; absent before 7.20.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerArchive, type Simulator } from '../src/index';
import { startSim, waitFor, type Caller } from './helpers';

type Obj = Record<string, string>;

async function runningContainer(sim: Simulator, call: Caller, name: string, ip: string): Promise<void> {
  const p = sim.context.files.resolve('disk1/app.tar');
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, await dockerArchive({ architecture: 'arm64' }));
  await call('PUT', '/interface/veth', { name: `veth-${name}`, address: `${ip}/24` });
  await call('PUT', '/container', { name, file: 'disk1/app.tar', interface: `veth-${name}`, logging: 'yes' });
  await waitFor(async () => (((await call('GET', `/container/${name}`)).body as Obj)['stopped'] === 'true' ? true : undefined));
  await call('POST', '/container/start', { '.id': name });
  await waitFor(async () => (((await call('GET', `/container/${name}`)).body as Obj)['running'] === 'true' ? true : undefined));
}

const output = (admin: string, name: string, lines: string[]) =>
  fetch(`${admin}/containers/${name}/output`, { method: 'POST', body: JSON.stringify({ lines }) }).then((r) => r.status);

describe('/container/log', () => {
  it('7.21: output and the exit line appear with time, container and message; ?container= filters; read-only', async () => {
    const { sim, call, admin } = await startSim({ version: '7.21', faults: { extractMs: 20 } });
    try {
      await runningContainer(sim, call, 'web', '127.0.91.2');
      await runningContainer(sim, call, 'db', '127.0.92.2');
      expect(await output(admin, 'web', ['hello from web', 'second line'])).toBe(200);
      expect(await output(admin, 'db', ['db ready'])).toBe(200);
      await fetch(`${admin}/containers/web/crash`, { method: 'POST', body: JSON.stringify({ exitCode: 3 }) });

      const all = (await call('GET', '/container/log')).body as Obj[];
      expect(all.map((r) => [r['container'], r['message']])).toEqual([
        ['web', 'hello from web'],
        ['web', 'second line'],
        ['db', 'db ready'],
        ['web', '*** error: exited with status 3'],
      ]);
      for (const r of all) {
        expect(Object.keys(r).sort()).toEqual(['.id', 'container', 'message', 'time']);
        expect(r['time']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
        expect(r['.id']).toMatch(/^\*[0-9A-F]+$/);
      }
      const web = (await call('GET', '/container/log?container=web')).body as Obj[];
      expect(web.map((r) => r['message'])).toEqual(['hello from web', 'second line', '*** error: exited with status 3']);
      expect((await call('GET', '/container/log?container=nope')).body).toEqual([]);
      // /log keeps its own form: the exit line is prefixed with the name there.
      const log = ((await call('GET', '/log?topics=container')).body as Obj[]).map((l) => l['message']);
      expect(log).toEqual(expect.arrayContaining(['hello from web', 'db ready', 'web: *** error: exited with status 3']));

      expect((await call('PUT', '/container/log', { container: 'web', message: 'forged' })).status).toBe(400);
      expect((await call('DELETE', `/container/log/${all[0]?.['.id']}`)).status).toBe(400);
      // A stopped container prints nothing.
      await output(admin, 'web', ['after exit']);
      expect(((await call('GET', '/container/log?container=web')).body as Obj[]).length).toBe(3);
    } finally {
      await sim.stop();
    }
  });

  it('keeps only the last 1000 lines, like /log', async () => {
    const { sim, call, admin } = await startSim({ version: '7.20', faults: { extractMs: 20 } });
    try {
      await runningContainer(sim, call, 'chatty', '127.0.93.2');
      const lines = Array.from({ length: 1005 }, (_, i) => `line ${i}`);
      expect(await output(admin, 'chatty', lines)).toBe(200);
      const rows = (await call('GET', '/container/log?container=chatty')).body as Obj[];
      expect(rows.length).toBe(1000);
      expect(rows[0]?.['message']).toBe('line 5');
      expect(rows.at(-1)?.['message']).toBe('line 1004');
    } finally {
      await sim.stop();
    }
  });

  it('7.19 has no /container/log: the path is a lookup of a container named "log" (404)', async () => {
    const { sim, call, admin } = await startSim({ version: '7.19', faults: { extractMs: 20 } });
    try {
      const p = sim.context.files.resolve('disk1/app.tar');
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, await dockerArchive({ architecture: 'arm64' }));
      await call('PUT', '/interface/veth', { name: 'veth-old', address: '127.0.94.2/24' });
      await call('PUT', '/container', { name: 'old', file: 'disk1/app.tar', interface: 'veth-old', logging: 'yes' });
      await waitFor(async () => (((await call('GET', '/container/old')).body as Obj)['status'] === 'stopped' ? true : undefined));
      await call('POST', '/container/start', { number: 'old' });
      await waitFor(async () => (((await call('GET', '/container/old')).body as Obj)['status'] === 'running' ? true : undefined));
      await output(admin, 'old', ['still logged to /log']);
      expect(await call('GET', '/container/log')).toMatchObject({ status: 404, body: { error: 404, message: 'Not Found' } });
      expect((await call('POST', '/container/log/print', {})).status).toBe(400);
      const log = ((await call('GET', '/log?topics=container')).body as Obj[]).map((l) => l['message']);
      expect(log).toContain('still logged to /log');
    } finally {
      await sim.stop();
    }
  });
});
