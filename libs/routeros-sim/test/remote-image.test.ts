// remote-image pulls from Debian's docker-registry (real OCI Distribution server, htpasswd
// auth), images pushed with skopeo.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startProcess, type ProcessHandle } from '@mikrotik-kube/test-support';
import { writeOciLayout, type Simulator } from '../src/index';
import { startSim, waitFor, type Caller } from './helpers';

type Obj = Record<string, string>;
const missing = ['/usr/bin/docker-registry', '/usr/bin/skopeo', '/usr/bin/htpasswd'].filter((p) => !existsSync(p));

describe.skipIf(missing.length > 0)(`remote-image pulls (needs ${missing.join(', ') || 'nothing'})`, () => {
  let registry: ProcessHandle;
  let host: string;
  let sim: Simulator;
  let call: Caller;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-registry-'));
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    const pw = spawnSync('htpasswd', ['-Bbn', 'puller', 'secret'], { encoding: 'utf8' });
    writeFileSync(join(dir, 'htpasswd'), pw.stdout);
    writeFileSync(
      join(dir, 'config.yml'),
      ['version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${dir}/data`, 'http:', `  addr: ${host}`, 'auth:', '  htpasswd:', '    realm: test', `    path: ${dir}/htpasswd`, ''].join('\n'),
    );
    registry = startProcess('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')]);
    await waitFor(() => fetch(`http://${host}/v2/`).then((r) => (r.status === 401 ? true : undefined), () => undefined));
    for (const [tag, arch] of [['arm64', 'arm64'], ['amd64', 'amd64']] as const) {
      const layout = join(dir, `layout-${tag}`);
      await writeOciLayout(layout, { architecture: arch, cmd: ['/bin/server'], files: { 'srv/index.html': `hello ${arch}` } }, tag);
      const r = spawnSync('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', 'puller:secret', `oci:${layout}:${tag}`, `docker://${host}/demo/app:${tag}`], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`skopeo: ${r.stderr}`);
    }
    ({ sim, call } = await startSim({ arch: 'arm64' }));
    await call('PUT', '/interface/veth', { name: 'v1', address: '10.9.0.2/24' });
  }, 60_000);

  afterAll(async () => {
    await sim?.stop();
    await registry?.stop();
  });

  const settle = (id: string) =>
    waitFor(async () => {
      const r = (await call('GET', `/container/${id}`)).body as Obj;
      return r['extracting'] === 'false' ? r : undefined;
    }, 20_000);

  it('without credentials the pull fails; with /container/config credentials it succeeds and layers are digest-checked', async () => {
    const denied = (await call('PUT', '/container', { name: 'denied', 'remote-image': `${host}/demo/app:arm64`, interface: 'v1' })).body as Obj;
    expect(await settle(denied['.id'] as string)).toMatchObject({ stopped: 'false', running: 'false' });
    await call('POST', '/container/config/set', { 'registry-url': `http://${host}`, username: 'puller', password: 'secret' });
    const ok = (await call('PUT', '/container', { name: 'ok', 'remote-image': `${host}/demo/app:arm64`, interface: 'v1', 'root-dir': 'disk1/ok' })).body as Obj;
    expect(await settle(ok['.id'] as string)).toMatchObject({ stopped: 'true', arch: 'arm64', 'default-cmd': '/bin/server', tag: `${host}/demo/app:arm64` });
    const log = ((await call('GET', '/log?topics=container')).body as Obj[]).map((l) => l['message']);
    expect(log.some((m) => /^getting layer sha256:[0-9a-f]{64}$/.test(m ?? ''))).toBe(true);
    expect(log.some((m) => /^layer sha256:[0-9a-f]{64} downloaded$/.test(m ?? ''))).toBe(true);
  });

  it('an image for another architecture does not import', async () => {
    const c = (await call('PUT', '/container', { name: 'wrong', 'remote-image': `${host}/demo/app:amd64`, interface: 'v1' })).body as Obj;
    expect(await settle(c['.id'] as string)).toMatchObject({ stopped: 'false' });
    const log = ((await call('GET', '/log?topics=container')).body as Obj[]).map((l) => l['message']);
    expect(log).toContain('error: image architecture amd64 does not match arm64');
  });

  it('a missing tag fails with the registry status', async () => {
    const c = (await call('PUT', '/container', { name: 'nope', 'remote-image': `${host}/demo/app:nope`, interface: 'v1' })).body as Obj;
    await settle(c['.id'] as string);
    const log = ((await call('GET', '/log?topics=container')).body as Obj[]).map((l) => l['message']);
    expect(log).toContain('error: failed to download manifests: status 404');
  });
});
