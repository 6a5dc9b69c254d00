// /container and its sub-menus in one normalised shape whatever the router's version:
// callers say `envLists`/`mountLists`/`list`, read `state`, and this module speaks
// `envlist`/`envlists`, `mounts`/`mountlists`, `name`/`list`, `status`/flags.
import { RouterOsError } from './errors';
import { MenuApi, rosBool, rosList, type RosArgs, type RosRecord } from './menu';
import type { CallOptions, Transport } from './transport';
import type { RouterVersion } from './version';
import { parseRosTime } from './time';

export type ContainerState = 'extracting' | 'stopped' | 'starting' | 'running' | 'stopping' | 'error';

export interface Container {
  id: string;
  name: string;
  state: ContainerState;
  interfaces: string[];
  rootDir: string;
  file?: string;
  remoteImage?: string;
  envLists: string[];
  /** Env set inline (`env`, 7.21+), in order. */
  env: Array<[string, string]>;
  mountLists: string[];
  cmd?: string;
  entrypoint?: string;
  workdir?: string;
  hostname?: string;
  dns: string[];
  user?: string;
  logging: boolean;
  startOnBoot: boolean;
  comment?: string;
  /** Image reference the router recorded (`tag`, older `repo`). */
  image?: string;
  arch?: string;
  /** `memory-current` in bytes (RouterOS 7.23+); undefined when the router does not report it. */
  memoryBytes?: number;
  /**
   * `cpu-usage` (7.23+) as a percentage of the whole router's CPU, like `/system/resource`
   * `cpu-load` — RouterOS documents no unit, so this reading is our assumption
   * (docs/routeros.md "Undocumented: our choices").
   */
  cpuPercent?: number;
  /** Every field as the router sent it. */
  raw: RosRecord;
}

export interface ContainerSpec {
  name: string;
  interfaces: string[];
  /** Exactly one of `file` (a tarball path on the router) and `remoteImage`. */
  file?: string;
  remoteImage?: string;
  rootDir?: string;
  envLists?: string[];
  mountLists?: string[];
  cmd?: string;
  entrypoint?: string;
  workdir?: string;
  hostname?: string;
  dns?: string[];
  user?: string;
  logging?: boolean;
  startOnBoot?: boolean;
  comment?: string;
  checkCertificate?: boolean;
  stopSignal?: string;
  /** Extra /etc/hosts entries, name → address (7.21+). */
  hosts?: Array<[string, string]>;
  /** Seconds from the stop signal to SIGKILL (`stop-time`, 7.21+). */
  stopTimeSeconds?: number;
  /** Env set on the container itself (`env`, 7.21+), where `inlineEnvFits` says it can be. */
  env?: Array<[string, string]>;
}

export type ContainerPatch = Partial<Omit<ContainerSpec, 'name' | 'file' | 'remoteImage'>> & { name?: string };

const FLAG_STATES: ContainerState[] = ['running', 'starting', 'stopping', 'extracting', 'stopped'];

/** Reads the state from `status` (≤7.19) or the flags (7.20+); no flag set = import failed. */
export function containerState(r: RosRecord): ContainerState {
  const status = r['status'];
  if (status !== undefined) {
    if (status === 'pulling' || status === 'downloading') return 'extracting';
    return (['extracting', 'stopped', 'starting', 'running', 'stopping'] as string[]).includes(status) ? (status as ContainerState) : 'error';
  }
  for (const s of FLAG_STATES) if (rosBool(r[s])) return s;
  return 'error';
}

/** `K=V` → [K, V] (a value may hold `=`). */
function envPair(kv: string): [string, string] {
  const i = kv.indexOf('=');
  return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
}

export function toContainer(r: RosRecord): Container {
  const opt = (k: string) => (r[k] === undefined || r[k] === '' ? undefined : r[k]);
  return {
    id: r['.id'] ?? '',
    name: r['name'] ?? '',
    state: containerState(r),
    interfaces: rosList(r['interface']),
    rootDir: r['root-dir'] ?? '',
    file: opt('file'),
    remoteImage: opt('remote-image'),
    envLists: rosList(r['envlists'] ?? r['envlist']),
    env: rosList(r['env']).map(envPair),
    mountLists: rosList(r['mountlists'] ?? r['mounts']),
    cmd: opt('cmd'),
    entrypoint: opt('entrypoint'),
    workdir: opt('workdir'),
    hostname: opt('hostname'),
    dns: rosList(r['dns']),
    user: opt('user'),
    logging: rosBool(r['logging']),
    startOnBoot: rosBool(r['start-on-boot']),
    comment: opt('comment'),
    image: opt('tag') ?? opt('repo'),
    arch: opt('arch'),
    memoryBytes: rosBytes(r['memory-current']),
    cpuPercent: rosPercent(r['cpu-usage']),
    raw: r,
  };
}

const UNITS: Record<string, number> = { '': 1, B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

/** REST sends plain bytes; the CLI-style `12.5MiB` is read too. Undefined if absent or not a size. */
export function rosBytes(v: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB)?$/.exec((v ?? '').trim());
  return m ? Math.round(Number(m[1]) * (UNITS[m[2] ?? ''] ?? 1)) : undefined;
}

/** `3`, `3.5` or `3%`; undefined if absent or not a percentage. */
export function rosPercent(v: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*%?$/.exec((v ?? '').trim());
  return m ? Number(m[1]) : undefined;
}

// How RouterOS escapes a `,` (the list separator), quotes or `=` inside an inline env value is
// not documented, so only entries that need no escaping go inline; others take an env list.
const INLINE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INLINE_VALUE = /^[\x20-\x7e]*$/;
const INLINE_UNSAFE = /[,"\\=]/;

/** Whether `env` can be set inline on a container of this router (else it needs an env list). */
export function inlineEnvFits(v: RouterVersion, env: ReadonlyArray<readonly [string, string]>): boolean {
  return v.containerInlineEnv && env.every(([k, value]) => INLINE_KEY.test(k) && INLINE_VALUE.test(value) && !INLINE_UNSAFE.test(value));
}

function specArgs(s: ContainerPatch & { file?: string; remoteImage?: string }, v: RouterVersion): RosArgs {
  const args: RosArgs = {
    name: s.name,
    interface: s.interfaces?.join(','),
    file: s.file,
    'remote-image': s.remoteImage,
    'root-dir': s.rootDir,
    cmd: s.cmd,
    entrypoint: s.entrypoint,
    workdir: s.workdir,
    hostname: s.hostname,
    dns: s.dns?.join(','),
    user: s.user,
    logging: s.logging === undefined ? undefined : s.logging ? 'yes' : 'no',
    'start-on-boot': s.startOnBoot === undefined ? undefined : s.startOnBoot ? 'yes' : 'no',
    comment: s.comment,
    'stop-signal': s.stopSignal,
  };
  if (s.hosts?.length || s.stopTimeSeconds !== undefined) {
    if (!v.containerHostsAndStopTime) throw new RouterOsError({ kind: 'invalid', method: 'PUT', path: 'container', detail: `container hosts and stop-time need RouterOS 7.21+; the router runs ${v.raw}` });
    if (s.hosts?.length) args['hosts'] = s.hosts.map(([name, ip]) => `${name}=${ip}`).join(',');
    if (s.stopTimeSeconds !== undefined) args['stop-time'] = `${s.stopTimeSeconds}s`;
  }
  if (s.checkCertificate !== undefined && v.minor >= 20) args['check-certificate'] = s.checkCertificate ? 'yes' : 'no';
  if (s.env?.length) {
    if (!inlineEnvFits(v, s.env)) throw new RouterOsError({ kind: 'invalid', method: 'PUT', path: 'container', detail: `inline env needs RouterOS 7.21+ and entries without , " \\ or = in values (router runs ${v.raw}); use an env list` });
    args['env'] = s.env.map(([k, value]) => `${k}=${value}`).join(',');
  }
  if (s.envLists?.length) {
    if (v.containerEnvArg === 'envlist' && s.envLists.length > 1) throw new Error('RouterOS ≤7.19 takes one env list per container');
    args[v.containerEnvArg] = s.envLists.join(',');
  }
  if (s.mountLists?.length) args[v.containerMountArg] = s.mountLists.join(',');
  return args;
}

/** A line a container printed (`/container/log`). */
export interface ContainerLogLine {
  /** `*HEX`, increasing: later lines have larger ids (what a follower polls past). */
  id: string;
  /** Router-local time, to the second; undefined if the router sent a form we do not know. */
  time: Date | undefined;
  message: string;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

export class ContainersApi {
  readonly menu: MenuApi;
  private readonly logMenu: MenuApi;
  readonly config: ContainerConfigApi;
  readonly envs: ContainerEnvsApi;
  readonly mounts: ContainerMountsApi;

  constructor(
    t: Transport,
    private readonly version: () => Promise<RouterVersion>,
  ) {
    this.menu = new MenuApi(t, 'container');
    this.logMenu = new MenuApi(t, 'container/log');
    this.config = new ContainerConfigApi(t, version);
    this.envs = new ContainerEnvsApi(t, version);
    this.mounts = new ContainerMountsApi(t, version);
  }

  async list(opts?: CallOptions): Promise<Container[]> {
    return (await this.menu.list({}, opts)).map(toContainer);
  }

  /** By `*ID` or name; undefined if absent. */
  async find(ref: string, opts?: CallOptions): Promise<Container | undefined> {
    const r = await this.menu.find(ref, opts);
    return r && toContainer(r);
  }

  async get(ref: string, opts?: CallOptions): Promise<Container> {
    return toContainer(await this.menu.get(ref, opts));
  }

  /** Adds the container; the router then downloads/extracts it in the background. */
  async add(spec: ContainerSpec, opts?: CallOptions): Promise<Container> {
    if (!spec.file === !spec.remoteImage) throw new Error('container needs exactly one of file and remoteImage');
    return toContainer(await this.menu.add(specArgs(spec, await this.version()), opts));
  }

  async set(ref: string, patch: ContainerPatch, opts?: CallOptions): Promise<Container> {
    return toContainer(await this.menu.set(ref, specArgs(patch, await this.version()), opts));
  }

  async start(ref: string, opts?: CallOptions): Promise<void> {
    await this.menu.command('start', { '.id': await this.idOf(ref, opts) }, opts);
  }

  async stop(ref: string, opts?: CallOptions): Promise<void> {
    await this.menu.command('stop', { '.id': await this.idOf(ref, opts) }, opts);
  }

  /** Removes a stopped container (the router refuses others). */
  async remove(ref: string, opts?: CallOptions): Promise<void> {
    await this.menu.remove(await this.idOf(ref, opts), opts);
  }

  /** Polls until the container is in one of `states`; throws on timeout or when it vanishes. */
  async waitFor(ref: string, states: ContainerState[], w: WaitOptions = {}): Promise<Container> {
    const end = Date.now() + (w.timeoutMs ?? 120_000);
    for (;;) {
      const c = await this.get(ref);
      if (states.includes(c.state)) return c;
      if (Date.now() > end) throw new Error(`container ${ref} is ${c.state}, not ${states.join('|')}, after ${w.timeoutMs ?? 120_000} ms`);
      await new Promise((r) => setTimeout(r, w.intervalMs ?? 250));
    }
  }

  /**
   * One container's output lines, oldest first, from `/container/log` (RouterOS 7.20+; needs
   * `logging=yes`). The router filters by name; older routers have no such menu and get a
   * `kind: 'invalid'` error before any request.
   */
  async logs(name: string, opts?: CallOptions): Promise<ContainerLogLine[]> {
    const v = await this.version();
    if (v.minor < 20) {
      throw new RouterOsError({ kind: 'invalid', method: 'GET', path: 'container/log', detail: `container logs need RouterOS 7.20+ (/container/log); the router runs ${v.raw}` });
    }
    const rows = await this.logMenu.list({ container: name }, opts);
    const now = new Date();
    return rows.map((r) => ({ id: r['.id'] ?? '', time: parseRosTime(r['time'] ?? '', now), message: r['message'] ?? '' }));
  }

  private async idOf(ref: string, opts?: CallOptions): Promise<string> {
    if (/^\*[0-9A-F]+$/.test(ref)) return ref;
    return (await this.menu.get(ref, opts))['.id'] as string;
  }
}

export interface ContainerConfig {
  registryUrl: string;
  username: string;
  tmpdir: string;
  layerDir: string;
  memoryHigh: string;
  raw: RosRecord;
}

export interface ContainerConfigPatch {
  registryUrl?: string;
  username?: string;
  password?: string;
  tmpdir?: string;
  layerDir?: string;
  memoryHigh?: string;
}

export class ContainerConfigApi {
  private readonly menu: MenuApi;
  constructor(
    t: Transport,
    private readonly version: () => Promise<RouterVersion>,
  ) {
    this.menu = new MenuApi(t, 'container/config');
  }

  async get(opts?: CallOptions): Promise<ContainerConfig> {
    const r = await this.menu.getSingleton(opts);
    return { registryUrl: r['registry-url'] ?? '', username: r['username'] ?? '', tmpdir: r['tmpdir'] ?? '', layerDir: r['layer-dir'] ?? '', memoryHigh: r['memory-high'] ?? r['ram-high'] ?? '', raw: r };
  }

  async set(p: ContainerConfigPatch, opts?: CallOptions): Promise<void> {
    const v = await this.version();
    await this.menu.setSingleton(
      { 'registry-url': p.registryUrl, username: p.username, password: p.password, tmpdir: p.tmpdir, 'layer-dir': p.layerDir, [v.configMemoryField]: p.memoryHigh },
      opts,
    );
  }
}

export interface ContainerEnv {
  id: string;
  list: string;
  key: string;
  value: string;
  comment?: string;
}

export class ContainerEnvsApi {
  private readonly menu: MenuApi;
  constructor(
    t: Transport,
    private readonly version: () => Promise<RouterVersion>,
  ) {
    this.menu = new MenuApi(t, 'container/envs');
  }

  async list(list?: string, opts?: CallOptions): Promise<ContainerEnv[]> {
    const rows = await this.menu.list({}, opts);
    return rows
      .map((r) => ({ id: r['.id'] ?? '', list: r['list'] ?? r['name'] ?? '', key: r['key'] ?? '', value: r['value'] ?? '', comment: r['comment'] }))
      .filter((e) => list === undefined || e.list === list);
  }

  async add(e: { list: string; key: string; value: string; comment?: string }, opts?: CallOptions): Promise<ContainerEnv> {
    const v = await this.version();
    const r = await this.menu.add({ [v.envsListField]: e.list, key: e.key, value: e.value, comment: e.comment }, opts);
    return { id: r['.id'] ?? '', list: e.list, key: r['key'] ?? e.key, value: r['value'] ?? e.value, comment: r['comment'] };
  }

  async remove(id: string, opts?: CallOptions): Promise<void> {
    await this.menu.remove(id, opts);
  }

  /** Removes every entry of a list (the router has no per-list remove). */
  async removeList(list: string, opts?: CallOptions): Promise<void> {
    for (const e of await this.list(list, opts)) await this.remove(e.id, opts);
  }
}

export interface ContainerMount {
  id: string;
  list: string;
  src: string;
  dst: string;
  readOnly: boolean;
  comment?: string;
}

export class ContainerMountsApi {
  private readonly menu: MenuApi;
  constructor(
    t: Transport,
    private readonly version: () => Promise<RouterVersion>,
  ) {
    this.menu = new MenuApi(t, 'container/mounts');
  }

  async list(list?: string, opts?: CallOptions): Promise<ContainerMount[]> {
    const rows = await this.menu.list({}, opts);
    return rows
      .map((r) => ({
        id: r['.id'] ?? '',
        list: r['list'] ?? r['name'] ?? '',
        src: r['src'] ?? '',
        dst: r['dst'] ?? '',
        readOnly: rosBool(r['read-only']) || (r['mode'] ?? '').startsWith('ro'),
        comment: r['comment'],
      }))
      .filter((m) => list === undefined || m.list === list);
  }

  async add(m: { list: string; src: string; dst: string; readOnly?: boolean; comment?: string }, opts?: CallOptions): Promise<ContainerMount> {
    const v = await this.version();
    const args: RosArgs = { [v.mountsListField]: m.list, src: m.src, dst: m.dst, comment: m.comment };
    if (m.readOnly) {
      if (v.mountAccess === 'none') throw new RouterOsError({ kind: 'invalid', method: 'PUT', path: 'container/mounts', detail: `read-only mounts need RouterOS 7.20+ (router runs ${v.raw})` });
      if (v.mountAccess === 'mode') args['mode'] = 'ro';
      else args['read-only'] = 'yes';
    }
    const r = await this.menu.add(args, opts);
    return { id: r['.id'] ?? '', list: m.list, src: r['src'] ?? m.src, dst: r['dst'] ?? m.dst, readOnly: !!m.readOnly, comment: r['comment'] };
  }

  async remove(id: string, opts?: CallOptions): Promise<void> {
    await this.menu.remove(id, opts);
  }

  async removeList(list: string, opts?: CallOptions): Promise<void> {
    for (const m of await this.list(list, opts)) await this.remove(m.id, opts);
  }
}
