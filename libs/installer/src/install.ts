// `mkube install`: preflight (stops before any change when a check fails), then the original Go
// mikrotik-kube's Quick Start made idempotent — bridge, gateway address, management veth and its bridge port,
// srcnat masquerade (each reused when already there) — the config and pods files on the disk,
// the tarball delivered by /tool/fetch (RouterOS refuses REST bodies over ~10 MB; the same
// FetchServer storage-converter uses), the container with its mounts and env, started, and
// waited for until its own log says it is ready. Running it again changes nothing.
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { FetchDeliverer, FetchServer, FetchSigner, MIN_KEY_BYTES } from '@mikrotik-kube/storage-converter';
import { stringify } from 'yaml';
import { INSTALL_TAG, type InstallOptions, networkOf, paths } from './plan';
import { formatFindings, preflight, type PreflightReport } from './preflight';

export interface InstallRequest extends InstallOptions {
  tarball: string;
  /** The REST user and password mikrotik-kube uses (its env list holds the password). */
  user: string;
  password: string;
  /** Pods for boot-order.yaml (written only when the router has none yet). */
  pods?: string;
  /** Address the router fetches the tarball from (this machine's, as the router reaches it). */
  fetchHost: string;
  readyTimeoutMs: number;
  log: (line: string) => void;
}

export class PreflightFailed extends Error {
  constructor(readonly report: PreflightReport) {
    super(`preflight failed, nothing was changed:\n${formatFindings(report.findings.filter((f) => !f.ok))}`);
  }
}

const gatewayIp = (o: InstallOptions) => o.gateway.split('/')[0] as string;
const vethIp = (o: InstallOptions) => o.vethAddress.split('/')[0] as string;

/** The all-in-one config install writes (deploy/config.yaml's keys). */
export function containerConfig(o: InstallOptions & { disk: string; user: string }): string {
  // The pods' roots, images and volumes under install's own directory: uninstall removes it whole.
  const { dir } = paths(o);
  return stringify({
    podsFile: 'boot-order.yaml',
    dataDir: '/var/lib/mikrotik-kube',
    // Over the bridge inside the router: the traffic never leaves it.
    routeros: { restUrl: `http://${gatewayIp(o)}/rest`, user: o.user },
    network: { podCIDR: networkOf(o.gateway), bridgeName: o.bridge, gateway: gatewayIp(o) },
    containers: { rootDir: `${dir}/containers` },
    storage: { routerDir: `${dir}/images` },
    volumes: { routerDir: `${dir}/volumes` },
    delivery: { fetch: { host: '0.0.0.0', port: 8090, publicUrl: `http://${vethIp(o)}:8090` } },
    http: { port: 8080 },
  });
}

export async function install(router: RouterOsClient, r: InstallRequest): Promise<PreflightReport> {
  const size = statSync(r.tarball).size;
  // The tarball, and about as much again for the extracted root-dir.
  const report = await preflight(router, r, size * 3);
  if (!report.ok) throw new PreflightFailed(report);
  const o = { ...r, disk: report.disk };
  const p = paths(o);
  const tag = { comment: INSTALL_TAG };

  if (!report.reuse.bridge && !(await router.bridges.find(o.bridge))) {
    await router.bridges.add({ name: o.bridge, ...tag });
    r.log(`added bridge ${o.bridge}`);
  }
  if (!(await router.addresses.list({ interface: o.bridge })).some((a) => a.address === o.gateway)) {
    await router.addresses.add({ address: o.gateway, interface: o.bridge, ...tag });
    r.log(`added ${o.gateway} on ${o.bridge}`);
  }
  if (!(await router.veths.find(o.veth))) {
    await router.veths.add({ name: o.veth, addresses: [o.vethAddress], gateway: gatewayIp(o), ...tag });
    r.log(`added veth ${o.veth} ${o.vethAddress}`);
  }
  if (!(await router.bridgePorts.list({ interface: o.veth })).length) {
    await router.bridgePorts.add({ bridge: o.bridge, interface: o.veth, ...tag });
    r.log(`added ${o.veth} to ${o.bridge}`);
  }
  const nat = router.menu('ip/firewall/nat');
  const network = networkOf(o.gateway);
  if (!(await nat.list()).some((n) => n['chain'] === 'srcnat' && n['action'] === 'masquerade' && n['src-address'] === network)) {
    await nat.add({ chain: 'srcnat', action: 'masquerade', 'src-address': network, ...tag });
    r.log(`added srcnat masquerade for ${network}`);
  }

  // Not the data directory: RouterOS creates a mount's missing source from the image's directory,
  // owner kept, so mikrotik-kube's user (uid 1000) owns it.
  for (const dir of [p.dir, p.etc]) if (!(await router.files.find(dir))) await router.files.add({ name: dir, type: 'directory' });
  await writeFile(router, `${p.etc}/config.yaml`, containerConfig({ ...o, user: r.user }), true, r.log);
  await writeFile(router, `${p.etc}/boot-order.yaml`, r.pods ?? '', false, r.log);

  let container = await router.containers.find(o.containerName);
  const onRouter = await router.files.find(p.tarball);
  if (onRouter?.size !== size) {
    // A new tarball: the container made from the old one goes first (RouterOS extracts once).
    if (container) {
      await removeContainer(router, container.id);
      container = undefined;
    }
    // One process, one file: a key of its own, and only that file is served.
    const name = basename(r.tarball);
    const local = (f: string) => (f === name ? { path: r.tarball, size } : undefined);
    const server = new FetchServer({ host: r.fetchHost, port: 0, tokenTtlMs: 600_000, signer: new FetchSigner(randomBytes(MIN_KEY_BYTES)), local });
    await server.start();
    try {
      r.log(`router fetching ${p.tarball} (${(size / 2 ** 20).toFixed(0)} MiB)`);
      await new FetchDeliverer(router, server, 30 * 60_000).deliver(r.tarball, size, p.tarball, () => undefined);
    } finally {
      await server.stop();
    }
  }

  const mounts = await router.containers.mounts.list(p.mounts);
  for (const [src, dst] of [[p.etc, '/etc/mikrotik-kube'], [p.data, '/var/lib/mikrotik-kube']] as const) {
    if (!mounts.some((m) => m.src === src && m.dst === dst)) await router.containers.mounts.add({ list: p.mounts, src, dst, ...tag });
  }
  const envs = await router.containers.envs.list(p.envs);
  const env = envs.find((e) => e.key === 'MK_ROUTEROS_PASSWORD');
  if (env?.value !== r.password) {
    if (env) await router.containers.envs.remove(env.id);
    await router.containers.envs.add({ list: p.envs, key: 'MK_ROUTEROS_PASSWORD', value: r.password, ...tag });
  }

  if (!container) {
    container = await router.containers.add({
      name: o.containerName,
      interfaces: [o.veth],
      file: p.tarball,
      rootDir: p.root,
      mountLists: [p.mounts],
      envLists: [p.envs],
      hostname: o.containerName,
      logging: true,
      // mikrotik-kube starts with the router; its supervisor then starts the pods in order.
      startOnBoot: true,
      ...tag,
    });
    r.log(`added container ${o.containerName}; RouterOS is extracting it`);
  }
  container = await router.containers.waitFor(o.containerName, ['stopped', 'running', 'error'], { timeoutMs: 30 * 60_000, intervalMs: 500 });
  if (container.state === 'error') throw new Error(`RouterOS could not extract ${p.tarball} (see /log)`);
  if (container.state === 'running') {
    // Its ready line may be long gone from the router's bounded log: running is what we can tell.
    r.log(`${o.containerName} is already running`);
    return report;
  }
  await router.containers.start(container.id);
  await router.containers.waitFor(o.containerName, ['running'], { timeoutMs: 60_000, intervalMs: 250 });
  r.log(`started ${o.containerName}`);
  await waitReady(router, o.containerName, r.readyTimeoutMs);
  r.log(`${o.containerName} is running and ready`);
  return report;
}

/** Until the container's own log (logging=yes) has the all-in-one process's ready line. */
async function waitReady(router: RouterOsClient, name: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const lines = await router.containers.logs(name);
    if (lines.some((l) => l.message.includes('"message":"ready"'))) return;
    if ((await router.containers.get(name)).state !== 'running') throw new Error(`${name} stopped before it was ready (see /log)`);
    if (Date.now() > end) throw new Error(`${name} runs but did not log that it is ready within ${timeoutMs / 1000} s (see /log)`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

async function writeFile(router: RouterOsClient, name: string, contents: string, replace: boolean, log: (l: string) => void): Promise<void> {
  const f = await router.files.find(name);
  if (!f) {
    await router.files.add({ name, contents });
    log(`wrote ${name}`);
  } else if (replace && f.raw['contents'] !== contents) {
    await router.files.setContents(name, contents);
    log(`updated ${name}`);
  }
}

export async function removeContainer(router: RouterOsClient, id: string): Promise<void> {
  const c = await router.containers.get(id);
  if (c.state === 'running' || c.state === 'starting') {
    await router.containers.stop(id);
  }
  await router.containers.waitFor(id, ['stopped', 'error'], { timeoutMs: 120_000, intervalMs: 250 });
  await router.containers.remove(id);
}
