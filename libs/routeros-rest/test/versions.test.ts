// One normalised container API over the argument names of 7.19, 7.20, 7.21 and 7.23.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Simulator, dockerArchive } from '@mikrotik-kube/routeros-sim';
import { RouterOsClient, inlineEnvFits } from '../src/index';

describe.each(['7.19', '7.20', '7.21', '7.23'])('containers on RouterOS %s', (version) => {
  it('add with env/mount lists → stopped → running → stopped → removed, in one shape', async () => {
    const sim = new Simulator({ version, users: { u: 'p' }, faults: { extractMs: 20 } });
    const { rest } = await sim.start();
    const ros = new RouterOsClient({ url: rest, username: 'u', password: 'p' });
    try {
      const file = sim.context.files.resolve('disk1/images/app.tar');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, await dockerArchive({ architecture: 'arm64' }));
      expect((await ros.version()).raw).toBe(version);
      await ros.veths.add({ name: 'veth-app', addresses: ['10.5.0.2/24'], gateway: '10.5.0.1' });
      const env = await ros.containers.envs.add({ list: 'app-env', key: 'MODE', value: 'prod' });
      expect(env).toMatchObject({ list: 'app-env', key: 'MODE', value: 'prod' });
      const ro = version !== '7.19';
      const mount = await ros.containers.mounts.add({ list: 'app-mounts', src: 'disk1/data/app', dst: '/data', readOnly: ro });
      expect(mount).toMatchObject({ list: 'app-mounts', dst: '/data', readOnly: ro });
      expect(await ros.containers.mounts.list('app-mounts')).toEqual([expect.objectContaining({ list: 'app-mounts', src: 'disk1/data/app', readOnly: ro })]);
      if (!ro) await expect(ros.containers.mounts.add({ list: 'x', src: 'a', dst: '/b', readOnly: true })).rejects.toMatchObject({ kind: 'invalid' });

      const c = await ros.containers.add({ name: 'app', file: 'disk1/images/app.tar', interfaces: ['veth-app'], rootDir: 'disk1/root/app', envLists: ['app-env'], mountLists: ['app-mounts'], logging: true, startOnBoot: true, comment: 'mkt:app' });
      expect(c).toMatchObject({ name: 'app', state: 'extracting', interfaces: ['veth-app'], envLists: ['app-env'], mountLists: ['app-mounts'], logging: true, startOnBoot: true, comment: 'mkt:app', rootDir: 'disk1/root/app' });
      const stopped = await ros.containers.waitFor('app', ['stopped', 'error'], { intervalMs: 20, timeoutMs: 10_000 });
      expect(stopped).toMatchObject({ state: 'stopped', arch: 'arm64' });
      await ros.containers.start('app');
      expect((await ros.containers.waitFor('app', ['running'], { intervalMs: 20 })).state).toBe('running');
      sim.context.containers.output('app', ['hello', 'world']);
      if (version === '7.19') {
        const before = sim.rest.stats.total;
        await expect(ros.containers.logs('app')).rejects.toMatchObject({ kind: 'invalid', message: expect.stringMatching(/container logs need RouterOS 7\.20\+ \(\/container\/log\)/) });
        expect(sim.rest.stats.total).toBe(before);
      } else {
        const lines = await ros.containers.logs('app');
        expect(lines.map((l) => l.message)).toEqual(['hello', 'world']);
        expect(Math.abs((lines[0]?.time?.getTime() ?? 0) - Date.now())).toBeLessThan(5000);
      }
      await expect(ros.containers.remove('app')).rejects.toMatchObject({ kind: 'invalid', status: 400 });
      await ros.containers.stop(c.id);
      await ros.containers.waitFor(c.id, ['stopped'], { intervalMs: 20 });
      await ros.containers.config.set({ registryUrl: 'http://127.0.0.1:5000', memoryHigh: '256M' });
      expect(await ros.containers.config.get()).toMatchObject({ registryUrl: 'http://127.0.0.1:5000', memoryHigh: '256M' });
      await ros.containers.remove('app');
      expect(await ros.containers.find('app')).toBeUndefined();
      await ros.containers.envs.removeList('app-env');
      expect(await ros.containers.envs.list('app-env')).toEqual([]);
    } finally {
      ros.close();
      await sim.stop();
    }
  });
});

describe('disk arguments by version', () => {
  it('refuses NVMe/TCP NQN arguments before 7.21 without a round trip', async () => {
    const sim = new Simulator({ version: '7.20', users: { u: 'p' } });
    const { rest } = await sim.start();
    const ros = new RouterOsClient({ url: rest, username: 'u', password: 'p' });
    try {
      await expect(ros.disks.add({ type: 'file', 'file-path': 'disk1/x.img', 'file-size': '1M', slot: 'x', 'nvme-tcp-server-nqn': 'nqn.x' })).rejects.toMatchObject({ kind: 'invalid' });
      expect((await ros.disks.list()).map((d) => d.slot)).toContain('disk1');
    } finally {
      ros.close();
      await sim.stop();
    }
  });
});

describe.each(['7.20', '7.21'])('container hosts and stop-time on RouterOS %s', (version) => {
  it(version === '7.20' ? 'refuses them before a request is sent' : 'sends them as the router lists them', async () => {
    const sim = new Simulator({ version, users: { u: 'p' }, faults: { extractMs: 20 } });
    const { rest } = await sim.start();
    const ros = new RouterOsClient({ url: rest, username: 'u', password: 'p' });
    try {
      await ros.version();
      const spec = { name: 'app', remoteImage: 'library/app:1', interfaces: ['veth-app'], hosts: [['db.local', '10.1.2.3']] as Array<[string, string]>, stopTimeSeconds: 5 };
      if (version === '7.20') {
        const before = sim.rest.stats.total;
        await expect(ros.containers.add(spec)).rejects.toMatchObject({ kind: 'invalid', message: expect.stringMatching(/need RouterOS 7\.21\+; the router runs 7\.20/) });
        expect(sim.rest.stats.total).toBe(before);
      } else {
        await ros.veths.add({ name: 'veth-app', addresses: ['10.5.0.2/24'], gateway: '10.5.0.1' });
        const c = await ros.containers.add(spec);
        expect(c.raw).toMatchObject({ hosts: 'db.local=10.1.2.3', 'stop-time': '5s' });
      }
    } finally {
      ros.close();
      await sim.stop();
    }
  });
});

describe.each(['7.20', '7.21'])('inline container env on RouterOS %s', (version) => {
  it(version === '7.20' ? 'is refused before a request is sent' : 'is set on the container and read back in order', async () => {
    const sim = new Simulator({ version, users: { u: 'p' }, faults: { extractMs: 20 } });
    const { rest } = await sim.start();
    const ros = new RouterOsClient({ url: rest, username: 'u', password: 'p' });
    try {
      const v = await ros.version();
      const env: Array<[string, string]> = [['MODE', 'prod'], ['GREETING', 'hello world'], ['EMPTY', '']];
      expect(inlineEnvFits(v, env)).toBe(version === '7.21');
      // Separators, quotes and `=` in a value need escaping RouterOS does not document: an env list then.
      for (const value of ['a,b', 'say "hi"', 'a=b', 'back\\slash', 'line\nbreak', 'é']) expect(inlineEnvFits(v, [['K', value]])).toBe(false);
      expect(inlineEnvFits(v, [['1BAD', 'x']])).toBe(false);
      const spec = { name: 'app', remoteImage: 'library/app:1', interfaces: ['veth-app'], env };
      if (version === '7.20') {
        const before = sim.rest.stats.total;
        await expect(ros.containers.add(spec)).rejects.toMatchObject({ kind: 'invalid', message: expect.stringMatching(/inline env needs RouterOS 7\.21\+/) });
        expect(sim.rest.stats.total).toBe(before);
      } else {
        await ros.veths.add({ name: 'veth-app', addresses: ['10.5.0.2/24'], gateway: '10.5.0.1' });
        const c = await ros.containers.add(spec);
        expect(c.raw['env']).toBe('MODE=prod,GREETING=hello world,EMPTY=');
        expect((await ros.containers.get('app')).env).toEqual(env);
        await expect(ros.containers.add({ ...spec, name: 'app2', env: [['K', 'a,b']] })).rejects.toMatchObject({ kind: 'invalid' });
      }
    } finally {
      ros.close();
      await sim.stop();
    }
  });
});
