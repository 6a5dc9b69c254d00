import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mikrotik-kube/test-support';
import { dockerArchive, ociArchive, type Simulator } from '../src/index';
import { startSim, waitFor, type Caller } from './helpers';

type Obj = Record<string, string>;

function put(sim: Simulator, name: string, data: Buffer): void {
  const p = sim.context.files.resolve(name);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, data);
}

async function state(call: Caller, ref: string): Promise<Obj> {
  return (await call('GET', `/container/${ref}`)).body as Obj;
}

describe('containers (7.21: flags, mountlists)', () => {
  let sim: Simulator;
  let call: Caller;
  let admin: string;
  beforeAll(async () => {
    ({ sim, call, admin } = await startSim({ version: '7.21' }));
    put(sim, 'disk1/images/app.tar', await dockerArchive({ architecture: 'arm64', cmd: ['/bin/app'] }));
    put(sim, 'disk1/images/amd64.tar', await dockerArchive({ architecture: 'amd64' }));
    put(sim, 'disk1/images/oci.tar', await ociArchive({ architecture: 'arm64' }));
    await call('PUT', '/interface/veth', { name: 'veth-app', address: '127.0.77.2/24', gateway: '127.0.77.1' });
  });
  afterAll(() => sim.stop());

  it('add → extracting → stopped; start → running; stop → stopped; remove only when stopped', async () => {
    const add = await call('PUT', '/container', { name: 'app', file: 'disk1/images/app.tar', interface: 'veth-app', 'root-dir': 'disk1/root/app', logging: 'yes', mountlists: 'app-data' });
    expect(add.status).toBe(201);
    expect(add.body).toMatchObject({ name: 'app', extracting: 'true', stopped: 'false', running: 'false', mountlists: 'app-data', logging: 'true' });
    expect(add.body).not.toHaveProperty('status');
    expect((await call('POST', '/container/start', { '.id': (add.body as Obj)['.id'] })).body).toMatchObject({ detail: expect.stringMatching(/^failure:/) });
    const stopped = await waitFor(async () => ((await state(call, 'app'))['stopped'] === 'true' ? state(call, 'app') : undefined));
    expect(stopped).toMatchObject({ arch: 'arm64', os: 'linux', 'default-cmd': '/bin/app', extracting: 'false' });
    expect((await call('GET', '/file/disk1%2Froot%2Fapp')).body).toMatchObject({ type: 'directory' });

    expect((await call('POST', '/container/start', { '.id': 'app' })).body).toEqual([]);
    await waitFor(async () => ((await state(call, 'app'))['running'] === 'true' ? true : undefined));
    const del = await call('DELETE', `/container/${stopped['.id']}`);
    expect(del).toMatchObject({ status: 400, body: { detail: 'failure: container should be stopped' } });
    expect((await call('PATCH', `/container/${stopped['.id']}`, { cmd: '/x' })).status).toBe(400);

    await call('POST', '/container/stop', { numbers: stopped['.id'] });
    await waitFor(async () => ((await state(call, 'app'))['stopped'] === 'true' ? true : undefined));
    expect((await call('PATCH', `/container/${stopped['.id']}`, { cmd: '/bin/app2' })).body).toMatchObject({ cmd: '/bin/app2' });
  });

  it('refuses unknown interfaces, old argument names and missing image source', async () => {
    expect((await call('PUT', '/container', { file: 'disk1/images/app.tar', interface: 'nope' })).body).toMatchObject({ detail: 'input does not match any value of interface' });
    expect((await call('PUT', '/container', { file: 'disk1/images/app.tar', interface: 'veth-app', mounts: 'x' })).body).toMatchObject({ detail: 'unknown parameter mounts' });
    expect((await call('PUT', '/container', { file: 'disk1/images/app.tar', interface: 'veth-app', envlist: 'x' })).body).toMatchObject({ detail: 'unknown parameter envlist' });
    expect((await call('PUT', '/container', { interface: 'veth-app' })).body).toMatchObject({ detail: expect.stringMatching(/^failure:/) });
    expect((await call('PUT', '/container', { name: 'app', file: 'disk1/images/app.tar', interface: 'veth-app' })).body).toMatchObject({ detail: expect.stringMatching(/already exists/) });
    expect((await call('PUT', '/container', { name: 'dup-root', file: 'disk1/images/app.tar', interface: 'veth-app', 'root-dir': 'disk1/root/app' })).body).toMatchObject({ detail: expect.stringMatching(/root-dir/) });
  });

  it('OCI-layout and wrong-architecture tarballs fail to import like on the router', async () => {
    const oci = (await call('PUT', '/container', { name: 'oci', file: 'disk1/images/oci.tar', interface: 'veth-app' })).body as Obj;
    const amd = (await call('PUT', '/container', { name: 'amd', file: 'disk1/images/amd64.tar', interface: 'veth-app' })).body as Obj;
    for (const c of [oci, amd]) {
      const s = await waitFor(async () => {
        const r = await state(call, c['.id'] as string);
        return r['extracting'] === 'false' ? r : undefined;
      });
      expect(s).toMatchObject({ stopped: 'false', running: 'false', extracting: 'false' });
    }
    const log = (await call('GET', '/log?topics=container')).body as Obj[];
    expect(log.map((l) => l['message'])).toContain('error: could not find image manifest in archive');
    expect(log.some((l) => /architecture amd64/.test(l['message'] ?? ''))).toBe(true);
    expect((await call('POST', '/container/start', { '.id': oci['.id'] })).status).toBe(400);
    expect((await call('DELETE', `/container/${oci['.id']}`)).status).toBe(204);
  });

  it('a running container answers HTTP on its 127.x veth address, logs requests, and stops answering when it crashes', async () => {
    const port = await freePort();
    const url = `http://127.0.77.2:${port}/healthz`;
    const res = await fetch(`${admin}/containers/app/listen`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ port, kind: 'http', body: 'healthy' }) });
    expect(res.status).toBe(200);
    await expect(fetch(url)).rejects.toThrow();
    await call('POST', '/container/start', { '.id': 'app' });
    await waitFor(async () => ((await state(call, 'app'))['running'] === 'true' ? true : undefined));
    const probe = await waitFor(async () => fetch(url).then((r) => r.text(), () => undefined));
    expect(probe).toBe('healthy');
    await waitFor(async () => {
      const log = (await call('GET', '/log?topics=container')).body as Obj[];
      return log.some((l) => l['message'] === 'GET /healthz 200') ? true : undefined;
    });
    expect((await fetch(`${admin}/containers/app/crash`, { method: 'POST', body: '{"exitCode":3}' })).status).toBe(200);
    expect(await state(call, 'app')).toMatchObject({ running: 'false', stopped: 'true' });
    await expect(fetch(url)).rejects.toThrow();
    const log = (await call('GET', '/log?topics=container')).body as Obj[];
    expect(log.at(-1)?.['message']).toBe('app: *** error: exited with status 3');
  });
});

describe('version differences', () => {
  it('7.19: status string, envlist, mounts, envs/mounts keyed by name', async () => {
    const { sim, call } = await startSim({ version: '7.19' });
    try {
      put(sim, 'disk1/a.tar', await dockerArchive({ architecture: 'arm64' }));
      await call('PUT', '/interface/veth', { name: 'v1', address: '10.1.0.2/24' });
      expect((await call('PUT', '/container/envs', { name: 'e1', key: 'A', value: '1' })).body).toMatchObject({ name: 'e1', key: 'A' });
      expect((await call('PUT', '/container/envs', { list: 'e1', key: 'A' })).body).toMatchObject({ detail: 'unknown parameter list' });
      expect((await call('PUT', '/container/mounts', { name: 'm1', src: 'disk1/m', dst: '/data' })).body).toMatchObject({ name: 'm1' });
      const c = (await call('PUT', '/container', { file: 'disk1/a.tar', interface: 'v1', envlist: 'e1', mounts: 'm1' })).body as Obj;
      expect(c).toMatchObject({ status: 'extracting', envlist: 'e1', mounts: 'm1' });
      expect(c['name']).toMatch(/^[0-9a-f-]{36}$/);
      expect(c).not.toHaveProperty('running');
      await waitFor(async () => (((await call('GET', `/container/${c['.id']}`)).body as Obj)['status'] === 'stopped' ? true : undefined));
      expect((await call('GET', '/container/config')).body).toHaveProperty('ram-high');
    } finally {
      await sim.stop();
    }
  });

  it('7.20: flags, envlists, envs by list, mounts still by name with read-only', async () => {
    const { sim, call } = await startSim({ version: '7.20' });
    try {
      expect((await call('PUT', '/container/envs', { list: 'e1', key: 'A', value: '1' })).body).toMatchObject({ list: 'e1' });
      expect((await call('PUT', '/container/mounts', { name: 'm1', src: 'disk1/m', dst: '/data', 'read-only': true })).body).toMatchObject({ name: 'm1', 'read-only': 'true' });
      await call('PUT', '/interface/veth', { name: 'v1' });
      expect((await call('PUT', '/container', { 'remote-image': 'x/y', interface: 'v1', envlist: 'e1' })).body).toMatchObject({ detail: 'unknown parameter envlist' });
      expect((await call('PUT', '/container', { 'remote-image': 'x/y', interface: 'v1', mountlists: 'm1' })).body).toMatchObject({ detail: 'unknown parameter mountlists' });
    } finally {
      await sim.stop();
    }
  });

  it('7.23: mounts take mode instead of read-only', async () => {
    const { sim, call } = await startSim({ version: '7.23' });
    try {
      expect((await call('PUT', '/container/mounts', { list: 'm', src: 'disk1/m', dst: '/d', mode: 'ro' })).body).toMatchObject({ list: 'm', mode: 'ro' });
      expect((await call('PUT', '/container/mounts', { list: 'm', src: 'disk1/m', dst: '/d', 'read-only': 'yes' })).body).toMatchObject({ detail: 'unknown parameter read-only' });
    } finally {
      await sim.stop();
    }
  });
});
