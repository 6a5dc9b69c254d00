// What `make demo` starts, in order: the RouterOS simulator (set up like a router
// with a container bridge; containers run for real where this machine can), the
// registry (seeded with locally built images),
// ipam, storage-converter, boot-supervisor and vk-provider in standalone mode on
// deploy/boot-order.yaml. A component whose entry point does not exist yet in
// this checkout is skipped with a message.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { routableFromHost } from '@mikrotik-kube/routeros-sim';
import { repoRoot } from '@mikrotik-kube/test-support';
import { stringify } from 'yaml';
import { demoAppImage, hostArchitecture, pushImage, type StackImage } from './demo-image';

/** How the simulator runs containers: `auto` = for real (runc) where this machine can. */
export type ContainerMode = 'real' | 'auto' | 'emulated';

export interface DemoContext {
  dataDir: string;
  /** Ports chosen for this run: "<component>.<name>" → port. */
  ports: Record<string, number>;
  /** URLs published by started components for later ones. */
  urls: Record<string, string>;
  /** The pod network: loopback for emulated containers (listeners are loopback sockets), routed for real ones. */
  network: PodNetwork;
  /** The pod network asked for; unset: chosen by how containers run. */
  requestedNetwork?: PodNetwork;
  /** Asked for, and what the simulator does (known once it is up) with its reason. */
  containers: { requested: ContainerMode; actual?: 'real' | 'emulated'; reason?: string };
  /** Pushed to the registry besides demo/app:1. */
  images: StackImage[];
  /** vk-provider's (and the all-in-one's) reconcile resync period. */
  resyncSeconds: number;
}

export interface PodNetwork {
  name: string;
  bridge: string;
  cidr: string;
  gateway: string;
  dns: string[];
  default: boolean;
}

/** The pod network `<prefix>.0/24` on bridge `containers`, gateway and DNS on `.1`. */
const podNetworkOn = (prefix: string): PodNetwork => ({ name: 'pods', bridge: 'containers', cidr: `${prefix}.0/24`, gateway: `${prefix}.1`, dns: [`${prefix}.1`], default: true });

/** The pod network `<a>.<b>` → 127.a.b.0/24 (emulated containers). */
export const podNetwork = (a: number, b: number) => podNetworkOn(`127.${a}.${b}`);

/** The pod network `<a>.<b>` → 10.a.b.0/24 (real containers: the simulator routes it from this host into its router). */
export const routedPodNetwork = (a: number, b: number) => podNetworkOn(`10.${a}.${b}`);

export interface DemoComponent {
  name: string;
  /** TypeScript entry point relative to the repo root. */
  entry: string;
  /** Names of ports to reserve before start. */
  ports: string[];
  args(ctx: DemoContext): string[];
  env?(ctx: DemoContext): Record<string, string>;
  /** A line of output that means "ready". */
  ready: RegExp;
  /** Runs once after the first start; `readyLine` is the line that matched `ready`. */
  onReady?(ctx: DemoContext, readyLine: string): void | Promise<void>;
  describe?(ctx: DemoContext): string;
}

export const DEMO_USER = 'admin';
export const DEMO_PASSWORD = 'demo';
/** The demo pod network for emulated containers: loopback addresses, so listeners are real sockets here. */
export const DEMO_NETWORK = podNetwork(20, 0);
/**
 * Pod networks for real containers, reached from this machine through the simulator's link: the
 * first one no route of this host overlaps (the simulator never shadows the host's own routes).
 */
const DEMO_ROUTED_NETWORKS = ['10.77.0', '172.31.77', '192.168.177'].map(podNetworkOn);

async function demoRoutedNetwork(): Promise<PodNetwork> {
  for (const n of DEMO_ROUTED_NETWORKS) if (await routableFromHost(n.cidr)) return n;
  throw new Error(`every demo pod network (${DEMO_ROUTED_NETWORKS.map((n) => n.cidr).join(', ')}) overlaps a route of this host`);
}
/** Registry name used in deploy/boot-order.yaml; storage-converter maps it to the demo registry. */
export const DEMO_REGISTRY_HOST = 'registry.local:5000';

const port = (ctx: DemoContext, key: string) => ctx.ports[key] as number;
const ops = (ctx: DemoContext, name: string) => ['--http.host', '127.0.0.1', '--http.port', String(port(ctx, `${name}.http`))];
const grpc = (ctx: DemoContext, name: string) => ['--grpc.host', '127.0.0.1', '--grpc.port', String(port(ctx, `${name}.grpc`))];
const grpcAddr = (ctx: DemoContext, name: string) => `127.0.0.1:${port(ctx, `${name}.grpc`)}`;
const rest = (ctx: DemoContext) => ctx.urls['rest'] as string;

function writeConfig(ctx: DemoContext, name: string, doc: unknown): string {
  const path = join(ctx.dataDir, `${name}.yaml`);
  writeFileSync(path, stringify(doc));
  return path;
}

const simArch = () => (hostArchitecture() === 'arm64' ? 'arm64' : 'x86');

interface SimRuntime {
  mode: 'real' | 'emulated';
  reason?: string;
  network?: { routed: string[] };
}

async function simRuntime(ctx: DemoContext): Promise<SimRuntime> {
  const res = await fetch(`${ctx.urls['simAdmin']}/runtime`);
  if (!res.ok) throw new Error(`simulator runtime: ${res.status} ${await res.text()}`);
  return (await res.json()) as SimRuntime;
}

/** What the simulator does with containers (`GET /_sim/runtime`); picks the pod network to match. */
async function containerModeOf(ctx: DemoContext): Promise<void> {
  const mode = await simRuntime(ctx);
  ctx.containers = { ...ctx.containers, actual: mode.mode, ...(mode.reason ? { reason: mode.reason } : {}) };
  ctx.network = ctx.requestedNetwork ?? (mode.mode === 'real' ? await demoRoutedNetwork() : DEMO_NETWORK);
  const loopback = ctx.network.cidr.startsWith('127.');
  if (loopback === (mode.mode === 'real')) throw new Error(`pod network ${ctx.network.cidr} does not suit ${mode.mode} containers (real ones need a routed network, emulated ones loopback)`);
}

/** demo/app:1 and the images asked for, into the registry at `ctx.urls.registry`. */
async function pushImages(ctx: DemoContext): Promise<void> {
  for (const image of [{ repo: 'demo/app', tag: '1', spec: demoAppImage() }, ...ctx.images]) await pushImage(ctx.urls['registry'] as string, image);
}

/**
 * Real containers: nothing may talk to pod addresses until the host routes the pod network into
 * the simulator's router (it does so in the background, and never over a route the host has):
 * otherwise probes and users would send pod traffic out of this machine.
 */
async function routedIntoRouter(ctx: DemoContext): Promise<void> {
  for (const end = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 100))) {
    if ((await simRuntime(ctx)).network?.routed.includes(ctx.network.cidr)) return;
    if (Date.now() > end) {
      throw new Error(`pod network ${ctx.network.cidr} is not routed into the simulator's router (it overlaps a route of this host, see the router's /log): not starting what would send pod traffic out of this machine`);
    }
  }
}

async function routerCall(ctx: DemoContext, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${rest(ctx)}/${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${DEMO_USER}:${DEMO_PASSWORD}`).toString('base64')}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`router ${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? undefined : res.json();
}

export const demoComponents: DemoComponent[] = [
  {
    name: 'routeros-sim',
    entry: 'libs/routeros-sim/src/cli.ts',
    ports: ['rest'],
    args: (ctx) => [
      '--rest-port', String(port(ctx, 'routeros-sim.rest')), '--data-dir', join(ctx.dataDir, 'router'), '--user', DEMO_USER, '--password', DEMO_PASSWORD,
      '--extract-ms', '300', '--arch', simArch(), '--containers', ctx.containers.requested,
    ],
    ready: /routeros-sim ready/,
    async onReady(ctx) {
      ctx.urls['rest'] = `http://127.0.0.1:${port(ctx, 'routeros-sim.rest')}/rest`;
      ctx.urls['simAdmin'] = `http://127.0.0.1:${port(ctx, 'routeros-sim.rest')}/_sim`;
      await containerModeOf(ctx);
      // What an operator does once on a router (docs/routeros.md "Containers": one-time router setup).
      await routerCall(ctx, 'PUT', 'interface/bridge', { name: ctx.network.bridge });
      await routerCall(ctx, 'PUT', 'ip/address', { address: `${ctx.network.gateway}/24`, interface: ctx.network.bridge });
      if (ctx.containers.actual === 'real') await routedIntoRouter(ctx);
    },
    describe: (ctx) =>
      `RouterOS REST at ${rest(ctx)}; containers ${ctx.containers.actual === 'real' ? 'run for real (runc)' : `are emulated, no process runs (${ctx.containers.reason ?? 'asked for'})`}`,
  },
  {
    name: 'registry',
    entry: 'apps/registry/src/main.ts',
    ports: ['listen', 'http'],
    args: (ctx) => ['--listen', `127.0.0.1:${port(ctx, 'registry.listen')}`, '--storage-dir', join(ctx.dataDir, 'registry'), ...ops(ctx, 'registry')],
    ready: /"message":"ready"/,
    async onReady(ctx) {
      ctx.urls['registry'] = `http://127.0.0.1:${port(ctx, 'registry.listen')}`;
      await pushImages(ctx);
    },
    describe: (ctx) => `OCI registry at ${ctx.urls['registry']} with ${['demo/app:1', ...ctx.images.map((i) => `${i.repo}:${i.tag}`)].join(', ')} (built locally)`,
  },
  {
    name: 'ipam',
    entry: 'apps/ipam/src/main.ts',
    ports: ['grpc', 'http'],
    args: (ctx) => [
      '--config',
      writeConfig(ctx, 'ipam', { routeros: { url: rest(ctx), user: DEMO_USER, password: DEMO_PASSWORD }, networks: [ctx.network], reconcile: { graceSeconds: 30 } }),
      ...grpc(ctx, 'ipam'),
      ...ops(ctx, 'ipam'),
    ],
    ready: /"message":"ready"/,
    describe: (ctx) => `network ${ctx.network.cidr} on bridge ${ctx.network.bridge}, gRPC ${grpcAddr(ctx, 'ipam')}`,
  },
  {
    name: 'storage-converter',
    entry: 'apps/storage-converter/src/main.ts',
    ports: ['grpc', 'http', 'fetch'],
    args: (ctx) => [
      '--config',
      writeConfig(ctx, 'storage-converter', {
        routeros: { url: rest(ctx), user: DEMO_USER, password: DEMO_PASSWORD },
        registry: { url: ctx.urls['registry'], hosts: [DEMO_REGISTRY_HOST] },
        storage: { cacheDir: join(ctx.dataDir, 'image-cache'), routerDir: 'disk1/mk-images', gcIntervalMinutes: 0 },
        delivery: { mode: 'fetch', fetch: { host: '127.0.0.1', port: port(ctx, 'storage-converter.fetch') } },
        volumes: { routerDir: 'disk1/mk-volumes', orphanGraceSeconds: 30 },
      }),
      ...grpc(ctx, 'storage-converter'),
      ...ops(ctx, 'storage-converter'),
    ],
    ready: /"message":"ready"/,
    describe: (ctx) => `images via /tool/fetch, gRPC ${grpcAddr(ctx, 'storage-converter')}`,
  },
  {
    name: 'boot-supervisor',
    entry: 'apps/boot-supervisor/src/main.ts',
    ports: ['grpc', 'http'],
    args: (ctx) => [
      '--routeros.url', rest(ctx), '--routeros.user', DEMO_USER, '--routeros.password', DEMO_PASSWORD,
      '--systemd.poll-interval-ms', '500', '--systemd.backoff.initial-ms', '2000',
      '--state-file', join(ctx.dataDir, 'boot-supervisor.json'),
      ...grpc(ctx, 'boot-supervisor'), ...ops(ctx, 'boot-supervisor'),
    ],
    ready: /"message":"ready"/,
    describe: (ctx) => `gRPC ${grpcAddr(ctx, 'boot-supervisor')}`,
  },
  {
    name: 'vk-provider',
    entry: 'apps/vk-provider/src/main.ts',
    ports: ['http'],
    args: (ctx) => {
      const dir = join(ctx.dataDir, 'vk');
      mkdirSync(dir, { recursive: true });
      copyFileSync(ctx.urls['podsFileSource'] ?? join(repoRoot, 'deploy/boot-order.yaml'), join(dir, 'boot-order.yaml'));
      ctx.urls['podsFile'] = join(dir, 'boot-order.yaml');
      const config = writeConfig(ctx, 'vk/config', {
        standalone: true,
        podsFile: 'boot-order.yaml',
        routeros: { url: rest(ctx), user: DEMO_USER, password: DEMO_PASSWORD },
        services: { ipam: grpcAddr(ctx, 'ipam'), storage: grpcAddr(ctx, 'storage-converter'), supervisor: grpcAddr(ctx, 'boot-supervisor') },
        reconcile: { resyncSeconds: ctx.resyncSeconds },
      });
      return ['--standalone', '--config', config, ...ops(ctx, 'vk-provider')];
    },
    ready: /"message":"ready"/,
    onReady(ctx) {
      ctx.urls['status'] = `http://127.0.0.1:${port(ctx, 'vk-provider.http')}`;
    },
    describe: (ctx) => `standalone on ${ctx.urls['podsFile']}; status page ${ctx.urls['status']}/, API ${ctx.urls['status']}/api/v1/pods`,
  },
];

/**
 * The same system as one all-in-one process (apps/mikrotik-kube): the simulator, then
 * mikrotik-kube with the embedded registry, configured with the Go original's config.yaml keys. The
 * pods file starts empty and gets deploy/boot-order.yaml once the demo image is in the registry.
 */
export const allInOneComponents: DemoComponent[] = [
  demoComponents[0] as DemoComponent,
  {
    name: 'mikrotik-kube',
    entry: 'apps/mikrotik-kube/src/main.ts',
    ports: ['http', 'registry', 'fetch'],
    args: (ctx) => {
      const dir = join(ctx.dataDir, 'mikrotik-kube');
      mkdirSync(dir, { recursive: true });
      ctx.urls['podsFile'] = join(dir, 'boot-order.yaml');
      writeFileSync(ctx.urls['podsFile'], '');
      const config = writeConfig(ctx, 'mikrotik-kube/config', {
        standalone: true,
        podsFile: 'boot-order.yaml',
        dataDir: 'data',
        routeros: { restUrl: rest(ctx), user: DEMO_USER, password: DEMO_PASSWORD },
        network: { podCIDR: ctx.network.cidr, bridgeName: ctx.network.bridge, gateway: ctx.network.gateway, dns: ctx.network.dns },
        storage: { gcIntervalMinutes: 0 },
        delivery: { mode: 'fetch', fetch: { host: '127.0.0.1', port: port(ctx, 'mikrotik-kube.fetch') } },
        systemd: { pollIntervalMs: 500, maxRestarts: 5, backoff: { initialMs: 2000 } },
        registry: { enabled: true, listen: `127.0.0.1:${port(ctx, 'mikrotik-kube.registry')}`, hosts: [DEMO_REGISTRY_HOST], upstreams: [] },
        reconcile: { resyncSeconds: ctx.resyncSeconds },
        http: { host: '127.0.0.1', port: port(ctx, 'mikrotik-kube.http') },
      });
      return ['--standalone', '--config', config];
    },
    ready: /"message":"ready"/,
    async onReady(ctx) {
      ctx.urls['status'] = `http://127.0.0.1:${port(ctx, 'mikrotik-kube.http')}`;
      ctx.urls['registry'] = `http://127.0.0.1:${port(ctx, 'mikrotik-kube.registry')}`;
      await pushImages(ctx);
      copyFileSync(ctx.urls['podsFileSource'] ?? join(repoRoot, 'deploy/boot-order.yaml'), ctx.urls['podsFile'] as string);
    },
    describe: (ctx) => `all-in-one on ${ctx.urls['podsFile']}; status page ${ctx.urls['status']}/, API ${ctx.urls['status']}/api/v1/pods, registry ${ctx.urls['registry']}`,
  },
];
