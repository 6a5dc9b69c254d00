// mkube install / uninstall / doctor against the simulator. Preflight failures (old RouterOS,
// container mode off, no container package, no disk, an address conflict on the bridge) stop
// install before it changes anything, each with its fix. On a fresh router whose containers
// really run (runc), install makes the mikrotik-kube tarball (make tarball) a running container
// that reaches the router's REST API over its veth and says it is ready; a second install changes
// nothing; it reads boot-order.yaml from its mounted directory and brings the example pods up in
// dependency order, as real containers, and again after a router reboot; uninstall leaves the
// router's export as it was before.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { Simulator, type SimulatorOptions } from '@mikrotik-kube/routeros-sim';
import { demoAppImage, pushImage } from '@mikrotik-kube/demo-stack';
import { repoRoot, startTsProcess, waitFor, type ProcessHandle } from '@mikrotik-kube/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'mkube-install-'));
const passwordFile = join(dir, 'password');
writeFileSync(passwordFile, 'pw\n');
const sims: Simulator[] = [];
afterAll(async () => {
  for (const s of sims) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function router(o: SimulatorOptions = {}): Promise<{ sim: Simulator; rest: string; client: RouterOsClient }> {
  const sim = new Simulator({ users: { admin: 'pw' }, dataDir: join(dir, `sim-${sims.length}`), arch: 'x86', ...o });
  sims.push(sim);
  const { rest } = await sim.start();
  return { sim, rest, client: new RouterOsClient({ url: rest, username: 'admin', password: 'pw' }) };
}

async function mkube(cmd: string, rest: string, extra: string[] = []): Promise<{ code: number | null; out: string }> {
  const p = startTsProcess('apps/vk-provider/src/cli.ts', { args: [cmd, '--router', rest, '--user', 'admin', '--password-file', passwordFile, ...extra] });
  const { code } = await p.exited;
  return { code, out: p.output() };
}

const VOLATILE = /^(running|bytes|packets|last-modified|creation-time|size|free|uptime|status|\.id|slave|actual-mtu|mac-address|l2mtu)$/;
/**
 * Everything install may touch, as the router lists it (counters and run-time fields left out;
 * `skipFiles`: files the running container itself writes, in its root-dir and data directory).
 */
async function exportOf(client: RouterOsClient, skipFiles?: RegExp): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const path of ['interface/bridge', 'interface/bridge/port', 'interface/veth', 'ip/address', 'ip/firewall/nat', 'container', 'container/mounts', 'container/envs', 'file', 'disk']) {
    const rows = (await client.menu(path).list()).filter((r) => !(path === 'file' && skipFiles?.test(r['name'] ?? '')));
    out[path] = rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !VOLATILE.test(k)).sort())).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return JSON.stringify(out, null, 1);
}

describe('mkube install preflight: each failure stops install before any change, with its fix', () => {
  const tiny = join(dir, 'tiny.tar');
  writeFileSync(tiny, Buffer.alloc(4096));
  const refused = async (o: SimulatorOptions, fail: RegExp, fix: RegExp, setup?: (c: RouterOsClient) => Promise<void>, args: string[] = []) => {
    const { rest, client } = await router(o);
    await setup?.(client);
    const before = await exportOf(client);
    const r = await mkube('install', rest, ['--tarball', tiny, '--ready-timeout', '5', ...args]);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain('preflight failed, nothing was changed');
    expect(r.out).toMatch(fail);
    expect(r.out).toMatch(fix);
    expect(await exportOf(client)).toBe(before);
    const doctor = await mkube('doctor', rest, ['--tarball', tiny, ...args]);
    expect(doctor.code).toBe(1);
    expect(doctor.out).toMatch(fail);
    client.close();
  };

  it('an old RouterOS', () => refused({ version: '7.19' }, /FAIL routeros: RouterOS 7\.19/, /fix: upgrade RouterOS to 7\.20 or later/), 60_000);
  it('container mode off', () => refused({ containerMode: false }, /FAIL device-mode: device-mode container=false/, /fix: \/system\/device-mode\/update container=yes/), 60_000);
  it('no container package', () => refused({ containerPackage: false }, /FAIL container package: no container package/, /fix: install the container package/), 60_000);
  it('no such disk', () => refused({}, /FAIL disk: no mounted disk usb1 \(have: disk1/, /fix: attach a USB, SATA or NVMe disk/, undefined, ['--disk', 'usb1']), 60_000);
  it('an address on another interface overlapping the pod network', () =>
    refused({}, /FAIL bridge: 172\.20\.9\.1\/24 on lan overlaps the pod network 172\.20\.0\.0\/16/, /fix: remove the overlapping address/, async (c) => {
      await c.bridges.add({ name: 'lan' });
      await c.addresses.add({ address: '172.20.9.1/24', interface: 'lan' });
    }), 60_000);
  it('the fix for an overlap works: another --gateway and --veth-address pass the preflight', async () => {
    const { rest, client } = await router();
    await client.bridges.add({ name: 'lan' });
    await client.addresses.add({ address: '172.20.9.1/24', interface: 'lan' });
    const r = await mkube('doctor', rest, ['--tarball', tiny, '--gateway', '172.21.0.1/16', '--veth-address', '172.21.0.2/16']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('ok   bridge: bridge containers will be added, 172.21.0.1/16 will be added');
    const bad = await mkube('doctor', rest, ['--tarball', tiny, '--gateway', '172.21.0.1']);
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('--gateway must be an IPv4 address with its prefix, like 172.20.0.1/16; got 172.21.0.1');
    client.close();
  }, 60_000);
  it('the wrong architecture', () => refused({ arch: 'arm64' }, /FAIL architecture: architecture arm64 .* tarball for x86/, /fix: use the tarball for this router: --arch arm64/, undefined, ['--arch', 'amd64']), 60_000);

  it('doctor on a ready router: every check ok, exit 0, nothing changed', async () => {
    const { rest, client } = await router();
    const before = await exportOf(client);
    const r = await mkube('doctor', rest, ['--tarball', tiny]);
    expect(r.code, r.out).toBe(0);
    for (const check of ['routeros', 'architecture', 'container package', 'device-mode', 'disk', 'bridge', 'veth', 'nat', 'container']) expect(r.out).toMatch(new RegExp(`^ok {3}${check}:`, 'm'));
    expect(await exportOf(client)).toBe(before);
    client.close();
  }, 60_000);
});

// The real thing: the tarball of this tree, and a router whose containers really run.
const need = async () => {
  for (const cmd of ['skopeo', 'buildah', 'runc', 'ip']) if (!(await run('sh', ['-c', `command -v ${cmd}`]).then(() => true, () => false))) return `${cmd} is missing`;
  return process.getuid?.() === 0 ? '' : 'real containers need root';
};
const skip = await need();
if (skip) console.warn(`[install] real install SKIPPED: ${skip}`);

describe.skipIf(skip)('mkube install on a fresh simulated router whose containers run', () => {
  let rest = '';
  let client: RouterOsClient;
  let sim: Simulator;
  let before = '';
  const tarball = join(dir, 'mikrotik-kube-amd64.tar');

  beforeAll(async () => {
    await run('bash', ['tools/images/tarball.sh'], { cwd: repoRoot, env: { ...process.env, ARCH: 'amd64', OUT: tarball }, maxBuffer: 16 << 20 });
    ({ sim, rest, client } = await router({ containers: 'real', arch: process.arch === 'arm64' ? 'arm64' : 'x86' }));
    before = await exportOf(client);
  }, 600_000);
  afterAll(() => client?.close());

  it('installs: Quick Start network, tarball by /tool/fetch, container running, reaching the REST API over its veth, ready', async () => {
    const r = await mkube('install', rest, ['--tarball', tarball, '--ready-timeout', '240']);
    expect(r.code, r.out).toBe(0);
    for (const line of ['added bridge containers', 'added 172.20.0.1/16 on containers', 'added veth veth-mgmt 172.20.0.2/16', 'added veth-mgmt to containers', 'added srcnat masquerade for 172.20.0.0/16', 'mikrotik-kube is running and ready']) {
      expect(r.out).toContain(line);
    }
    const c = await client.containers.get('mikrotik-kube');
    expect(c).toMatchObject({ state: 'running', startOnBoot: true, logging: true, interfaces: ['veth-mgmt'] });
    const log = (await client.containers.logs('mikrotik-kube')).map((l) => l.message);
    // ipam's first sync is a REST conversation with the router over the veth (http://172.20.0.1/rest).
    expect(log.some((l) => l.includes('"message":"synced from the router"'))).toBe(true);
    expect(log.some((l) => l.includes('"message":"ready"'))).toBe(true);
  }, 400_000);

  it('a second install changes nothing', async () => {
    const written = /^disk1\/mikrotik-kube\/(root|data|containers|images|volumes)(\/|$)/;
    const after = await exportOf(client, written);
    const r = await mkube('install', rest, ['--tarball', tarball, '--ready-timeout', '60']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('mikrotik-kube is already running');
    expect(r.out).not.toMatch(/mkube: (added|wrote|updated|router fetching|started)/);
    expect(await exportOf(client, written)).toBe(after);
  }, 300_000);

  // The example pods (deploy/boot-order.yaml) as a user runs them: the image in a registry the
  // router reaches (ours, on the host end of the simulator's link, the one address of the host
  // the router's network routes to), config.yaml and boot-order.yaml edited on the router.
  const bootOrder = ['infra/dns', 'default/db', 'default/web', 'default/worker'];
  const podContainers = async () => (await client.containers.list()).filter((c) => c.comment?.startsWith('mikrotik-kube:vk'));
  /** The units the supervisor inside the container logged as started after `since` (its own timestamps), in log order. */
  const started = async (since = 0) =>
    (await client.containers.logs('mikrotik-kube')).flatMap((l) => {
      if (!l.message.startsWith('{')) return [];
      const e = JSON.parse(l.message) as { component?: string; message?: string; unit?: string; timestamp?: string };
      return e.component === 'boot-supervisor' && e.message === 'unit started' && e.unit && Date.parse(e.timestamp ?? '') > since ? [e.unit] : [];
    });
  let registry: ProcessHandle | undefined;
  afterAll(async () => {
    await registry?.stop('SIGTERM', 15_000);
  });

  it('reads boot-order.yaml from its mounted directory and brings the example pods up in order; their containers really run', async () => {
    const host = sim.routerNetwork?.hostAddress;
    expect(host, 'the simulator runs containers for real, with a router namespace').toMatch(/^169\.254\./);
    registry = startTsProcess('apps/registry/src/main.ts', { args: ['--listen', `${host}:0`, '--storage-dir', join(dir, 'registry'), '--http.host', '127.0.0.1', '--http.port', '0'] });
    const line = await registry.waitForLine(/"message":"registry listening"/, 60_000);
    const url = (JSON.parse(line) as { url: string }).url;
    await pushImage(url, { repo: 'demo/app', tag: '1', spec: demoAppImage() });
    const etc = 'disk1/mikrotik-kube/etc';
    const config = (await client.files.find(`${etc}/config.yaml`))?.raw['contents'] ?? '';
    expect(config).toContain('podsFile: boot-order.yaml');
    await client.files.setContents(`${etc}/config.yaml`, `${config}registry:\n  enabled: false\n  url: ${url}\n  hosts: [registry.local:5000]\n`);
    const mk = await client.containers.get('mikrotik-kube');
    await client.containers.stop(mk.id);
    await client.containers.waitFor('mikrotik-kube', ['stopped'], { timeoutMs: 60_000 });
    await client.files.setContents(`${etc}/boot-order.yaml`, readFileSync(join(repoRoot, 'deploy/boot-order.yaml'), 'utf8'));
    await client.containers.start(mk.id);
    const up = await waitFor(async () => {
      const list = await podContainers();
      return list.length === 4 && list.every((c) => c.state === 'running') ? list : undefined;
    }, 300_000, 1000);
    expect(up.map((c) => c.name).sort()).toEqual(['default_db_db', 'default_web_web', 'default_worker_worker', 'infra_dns_dns']);
    expect(await started()).toEqual(bootOrder);
    // Really running: each container's own output, printed by the app's process.
    for (const [c, text] of [['infra_dns_dns', 'dns: answering for zone demo.lan'], ['default_db_db', "db: 'demo db'"], ['default_web_web', 'web: listening on :8080'], ['default_worker_worker', 'worker: started']] as const) {
      const said = await waitFor(async () => ((await client.containers.logs(c)).some((l) => l.message.includes(text)) ? true : undefined), 60_000, 500).catch(() => false);
      expect(said, `${c} printed "${text}"`).toBe(true);
    }
  }, 420_000);

  it('a router reboot brings them up again in order: mikrotik-kube starts with the router, its supervisor starts the pods', async () => {
    client.close();
    const since = Date.now();
    await sim.stop();
    sims.splice(sims.indexOf(sim), 1);
    // The same router (its data directory) booting again; its REST port is a new one.
    ({ sim, rest, client } = await router(sim.options));
    await waitFor(async () => ((await started(since)).length >= bootOrder.length ? true : undefined), 300_000, 1000);
    expect(await started(since)).toEqual(bootOrder);
    expect((await podContainers()).map((c) => c.state)).toEqual(['running', 'running', 'running', 'running']);
  }, 420_000);

  it('uninstall leaves the router as it was', async () => {
    // The pods go first, as a user removes them: an empty boot-order.yaml, and mikrotik-kube
    // removes every row it made for them (containers, mounts, envs, veths, ports, addresses).
    await client.files.setContents('disk1/mikrotik-kube/etc/boot-order.yaml', '');
    const podRows = async () => {
      const rows = [];
      for (const path of ['container', 'container/mounts', 'container/envs', 'interface/veth', 'interface/bridge/port', 'ip/address']) {
        rows.push(...(await client.menu(path).list()).filter((r) => r['comment']?.startsWith('mikrotik-kube:') && !r['comment'].startsWith('mikrotik-kube:install')));
      }
      return rows;
    };
    await waitFor(async () => ((await podRows()).length === 0 ? true : undefined), 180_000, 1000).catch(async () => expect(await podRows()).toEqual([]));
    const r = await mkube('uninstall', rest);
    expect(r.code, r.out).toBe(0);
    expect(await exportOf(client)).toBe(before);
  }, 200_000);
});
