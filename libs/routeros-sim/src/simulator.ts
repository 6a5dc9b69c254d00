// The simulated RouterOS 7 device: state, menus, container runtime, the REST web server and
// any plugins (the SSH CLI). `new Simulator(opts)`, `await start()` → URLs, `await stop()`.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SimState } from './state/store';
import { versionProfile } from './state/version';
import { DEFAULT_FAULTS, type Faults } from './faults';
import { FileStore } from './files/store';
import { ContainerRuntime } from './containers/runtime';
import { containerConfigMenu, containerEnvsMenu, containerLogMenu, containerMenu, containerMountsMenu } from './containers/menus';
import { bridgeMenu, bridgePortMenu, vethMenu } from './menus/interfaces';
import { ipAddressMenu } from './menus/ip';
import { appendLog, logMenu, systemResourceMenu, type SimArch } from './menus/system';
import { deviceMenus } from './menus/device';
import { diskMenu } from './menus/disk';
import { natMenu } from './menus/firewall';
import { fileMenu, syncFiles } from './menus/file';
import { toolMenu } from './menus/fetch';
import { RestFace } from './rest/http';
import { handleAdmin } from './admin/routes';
import { builtinPlugins } from './plugins';
import { RuncEngine, realRuntimeUnavailable } from './containers/real/runc-engine';
import type { RuntimeMode } from './containers/runtime';
import { RouterNamespace } from './network/router-namespace';
import { InterfaceSync } from './network/interface-sync';
import type { SimContext, SimPlugin, StartedPlugin } from './plugin';

export interface SimulatorOptions {
  /** REST/admin port; 0 (default) picks a free one. */
  restPort?: number;
  /** SSH CLI port for the SSH plugin; undefined → no SSH face. */
  sshPort?: number;
  /** Storage-network address of the NVMe/TCP face (disk/nvme-tcp.ts); none when unset. */
  nvmeHost?: string;
  /** Listen address; loopback by default. */
  host?: string;
  /** Persisted state and the router's files; a temp dir (removed on stop) when omitted. */
  dataDir?: string;
  /** Accepted users, name → password (default admin with an empty password). */
  users?: Record<string, string>;
  /** Simulated RouterOS version (default 7.21). */
  version?: string;
  arch?: SimArch;
  faults?: Partial<Faults>;
  /** Serve HTTPS with this PEM certificate and key instead of HTTP. */
  tls?: { cert: string; key: string };
  /** Body size refused with 413 (RouterOS: about 10 MB). */
  maxBodyBytes?: number;
  /** REST cut-off (`Session closed`); 60 s like the router. */
  requestLimitMs?: number;
  /** Plugins to load; defaults to `builtinPlugins` (src/plugins.ts). */
  plugins?: SimPlugin[];
  /**
   * How containers run: `real` (runc, real network namespaces; fails to start if this host
   * cannot), `auto` (real when possible, else the emulation, saying why), `emulated`
   * (default: state machine plus admin-injected listeners, no processes).
   */
  containers?: 'real' | 'auto' | 'emulated';
  /** `/system/device-mode` `container` (default yes; a factory-fresh router says no until confirmed). */
  containerMode?: boolean;
  /** Whether the `container` package is installed (`/system/package`; default yes). */
  containerPackage?: boolean;
}

export interface SimulatorUrls {
  rest: string;
  admin: string;
  [face: string]: string;
}

export class Simulator {
  readonly context: SimContext;
  readonly rest: RestFace;
  private server: Server | undefined;
  /** The web service as containers see it: inside the router namespace, on the host end of its link. */
  private routerFacing: Server | undefined;
  private network: { ns: RouterNamespace; sync: InterfaceSync } | undefined;
  private started: StartedPlugin[] = [];
  private readonly ownsDataDir: boolean;
  private readonly plugins: SimPlugin[];

  constructor(readonly options: SimulatorOptions = {}) {
    const profile = versionProfile(options.version ?? '7.21');
    this.ownsDataDir = !options.dataDir;
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'routeros-sim-'));
    const arch = options.arch ?? 'arm64';
    const state = new SimState({ profile, dataDir });
    const files = new FileStore(join(dataDir, 'files'));
    const faults: Faults = { ...DEFAULT_FAULTS, ...options.faults };
    const users = new Map(Object.entries(options.users ?? { admin: '' }));
    const log = (topics: string, message: string) => appendLog(state.context, topics, message);
    const runtime = new ContainerRuntime({ ctx: state.context, files, faults, arch, imagesDir: join(dataDir, 'images') });
    const startedAt = Date.now();
    for (const spec of [
      logMenu,
      systemResourceMenu({ arch, startedAt, hdd: () => files.space() }),
      vethMenu,
      bridgeMenu,
      bridgePortMenu,
      ipAddressMenu,
      diskMenu(() => files.space()),
      ...deviceMenus({ containerMode: options.containerMode ?? true, containerPackage: options.containerPackage ?? true }),
      natMenu,
      fileMenu(files),
      toolMenu(files),
      containerConfigMenu,
      containerEnvsMenu,
      containerMountsMenu,
      containerMenu(() => runtime),
      // Before 7.20 there is no such menu: `/container/log` is a lookup of a container named `log`.
      ...(profile.at('7.20') ? [containerLogMenu] : []),
    ]) {
      state.register(spec);
    }
    this.context = { ...state.context, arch, dataDir, files, faults, containers: runtime, users, log };
    this.rest = new RestFace({
      state,
      faults,
      users,
      log,
      maxBodyBytes: options.maxBodyBytes ?? 10 * 1024 * 1024,
      requestLimitMs: options.requestLimitMs ?? 60_000,
    });
    this.plugins = options.plugins ?? builtinPlugins(options);
    for (const p of this.plugins) p.setup?.(this.context);
  }

  get state(): SimState {
    return this.context.state;
  }

  /** REST, and the admin API only where `admin` (never for containers). */
  private handler(admin: boolean): Parameters<typeof createHttpServer>[1] {
    return (req, res) => {
      const url = new URL(req.url ?? '/', 'http://sim');
      if (url.pathname === '/rest' || url.pathname.startsWith('/rest/')) {
        // /file reflects the real files at every request, as the router's listing does.
        if (url.pathname.startsWith('/rest/file')) syncFiles(this.context, this.context.files);
        this.rest.handle(req, res, url).catch((e: unknown) => this.internalError(res, e));
      } else if (admin && url.pathname.startsWith('/_sim')) handleAdmin(this.context, this.rest, () => this.runtimeInfo, req, res, url).catch((e: unknown) => this.internalError(res, e));
      else res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>Not Found</body></html>');
    };
  }

  private webServer(admin: boolean): Server {
    const tls = this.options.tls;
    const handler = this.handler(admin);
    return tls ? createHttpsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, handler) : createHttpServer(handler);
  }

  async start(): Promise<SimulatorUrls> {
    const host = this.options.host ?? '127.0.0.1';
    const tls = this.options.tls;
    this.server = this.webServer(true);
    this.server.keepAliveTimeout = 60_000;
    this.server.listen(this.options.restPort ?? 0, host);
    await once(this.server, 'listening');
    const port = (this.server.address() as AddressInfo).port;
    syncFiles(this.context, this.context.files);
    await this.startEngine();
    this.context.containers.resume();
    const base = `${tls ? 'https' : 'http'}://${host}:${port}`;
    const urls: SimulatorUrls = { rest: `${base}/rest`, admin: `${base}/_sim` };
    for (const p of this.plugins) {
      if (!p.start) continue;
      const s = await p.start(this.context);
      this.started.push(s);
      Object.assign(urls, s.urls ?? {});
    }
    return urls;
  }

  /** How this simulator runs containers (shown by `GET /_sim/runtime` and the CLI's ready line). */
  get containerMode(): RuntimeMode {
    return this.context.containers.mode;
  }

  private async startEngine(): Promise<void> {
    const want = this.options.containers ?? 'emulated';
    if (want === 'emulated') return this.context.containers.useEngine(undefined, 'emulated by request');
    const why = realRuntimeUnavailable();
    if (why) {
      if (want === 'real') throw new Error(`cannot run containers for real: ${why}`);
      this.context.log('system,warning', `containers are emulated (no processes run): ${why}`);
      return this.context.containers.useEngine(undefined, why);
    }
    const { state, files, dataDir } = this.context;
    const engine = await RuncEngine.create({ ctx: { state, profile: state.profile }, files, dataDir });
    try {
      const log = (m: string) => this.context.log('system,error', m);
      const ns = await RouterNamespace.create(engine.instance.prefix, parseInt(engine.instance.id, 16), log);
      const sync = new InterfaceSync(ns, state, log);
      this.network = { ns, sync };
      engine.network = (veth) => sync.network(veth);
      await sync.start();
      this.routerFacing = this.webServer(false);
      this.routerFacing.listen(0, ns.hostAddress);
      await once(this.routerFacing, 'listening');
      await ns.publishWebService((this.routerFacing.address() as AddressInfo).port, this.options.tls ? 443 : 80);
    } catch (e) {
      await engine.close();
      this.network = undefined;
      const reason = `router network namespace: ${(e as Error).message}`;
      if (want === 'real') throw new Error(`cannot run containers for real: ${reason}`);
      this.context.log('system,warning', `containers are emulated (no processes run): ${reason}`);
      return this.context.containers.useEngine(undefined, reason);
    }
    this.context.containers.useEngine(engine);
  }

  /** The router namespace, host link and the networks routed into it (real containers only). */
  get routerNetwork(): { namespace: string; hostLink: string; hostAddress: string; routerAddress: string; routed: string[] } | undefined {
    const ns = this.network?.ns;
    return ns ? { namespace: ns.name, hostLink: ns.hostLink, hostAddress: ns.hostAddress, routerAddress: ns.routerAddress, routed: ns.routedNetworks } : undefined;
  }

  /** `GET /_sim/runtime`: how containers run and, when for real, the router's network as the host sees it. */
  private get runtimeInfo(): object {
    const network = this.routerNetwork;
    return { ...this.containerMode, ...(network ? { network } : {}) };
  }

  /** A bug in the simulator must not take the process (and every test using it) down. */
  private internalError(res: ServerResponse, e: unknown): void {
    process.stderr.write(`routeros-sim: internal error: ${(e as Error).stack ?? String(e)}\n`);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":500,"message":"Internal Server Error"}');
    else res.destroy();
  }

  async stop(): Promise<void> {
    for (const s of this.started.reverse()) await s.stop();
    this.started = [];
    await this.context.containers.close();
    this.network?.sync.stop();
    await this.network?.ns.close();
    this.network = undefined;
    if (this.routerFacing) {
      this.routerFacing.closeAllConnections();
      await new Promise<void>((r) => this.routerFacing?.close(() => r()));
      this.routerFacing = undefined;
    }
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise<void>((r) => this.server?.close(() => r()));
      this.server = undefined;
    }
    this.state.flush();
    if (this.ownsDataDir) rmSync(this.context.dataDir, { recursive: true, force: true });
  }
}
