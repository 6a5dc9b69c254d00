// The container state machine (docs/routeros.md "Containers"): add → extracting → stopped;
// start → starting → running; stop → stopping → stopped; crash → stopped with a log line.
// Internal status lives in the hidden `_status` field; menus render it per version.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { badRequest } from '../state/errors';
import type { MenuContext } from '../state/menu-spec';
import type { Row } from '../state/values';
import type { FileStore } from '../files/store';
import type { Faults } from '../faults';
import { appendBounded, appendLog, rosTime, type SimArch } from '../menus/system';
import { ImageError, ociArch, readDockerArchive, type ImageInfo } from './image-archive';
import { ContainerListener, loopbackAddress, type ListenSpec } from './listener';
import { parseRemoteImage, pullImage } from './registry-pull';
import type { RuncEngine } from './real/runc-engine';
import type { ImageDefaults } from './real/launch-plan';

export type ContainerStatus = 'extracting' | 'stopped' | 'starting' | 'running' | 'stopping' | 'error';

const MENU = 'container';
/** Read-only output log of all containers, RouterOS 7.20+ (registered only there). */
export const CONTAINER_LOG = 'container/log';
/** Time spent in `starting`/`stopping` before the next state. */
const TRANSITION_MS = 50;

export interface RuntimeOptions {
  ctx: MenuContext;
  files: FileStore;
  faults: Faults;
  arch: SimArch;
  imagesDir: string;
}

/** How containers run: real processes under runc, or the listener emulation (and why). */
export interface RuntimeMode {
  mode: 'real' | 'emulated';
  reason?: string;
}

export class ContainerRuntime {
  private readonly timers = new Map<string, Set<NodeJS.Timeout>>();
  private readonly listeners = new Map<string, ContainerListener>();
  private closed = false;
  private engine: RuncEngine | undefined;
  private modeInfo: RuntimeMode = { mode: 'emulated', reason: 'not requested' };

  constructor(private readonly o: RuntimeOptions) {}

  /** Runs containers for real from now on (before `resume()`), or labels the emulation with its reason. */
  useEngine(engine: RuncEngine | undefined, reason?: string): void {
    this.engine = engine;
    this.modeInfo = engine ? { mode: 'real' } : { mode: 'emulated', ...(reason ? { reason } : {}) };
  }

  get mode(): RuntimeMode {
    return this.modeInfo;
  }

  /** What `memory-current` shows for a running container: its cgroup's usage when real. */
  memoryOf(row: Row): string | undefined {
    const real = this.engine?.memoryBytes(row);
    return real !== undefined ? String(real) : row['_memory'];
  }

  private get menu() {
    return this.o.ctx.state.menu(MENU);
  }

  private log(message: string): void {
    appendLog(this.o.ctx, 'container', message);
  }

  /**
   * What the container itself printed (or its exit): /log topic `container` as before, and from
   * 7.20 also `/container/log`, where the container's name is a field instead of a prefix.
   */
  private containerLog(row: Row, message: string, logLine = message): void {
    this.log(logLine);
    if (!this.o.ctx.state.has(CONTAINER_LOG)) return;
    appendBounded(this.o.ctx, CONTAINER_LOG, { time: rosTime(), container: row['name'] ?? (row['.id'] as string), message });
  }

  /**
   * A simulator restart is a router reboot: extraction starts over, containers with
   * `start-on-boot=yes` start again, every other container comes up stopped.
   */
  resume(): void {
    for (const row of this.menu.rows()) {
      const id = row['.id'] as string;
      const s = row['_status'] as ContainerStatus | undefined;
      if (s === 'extracting') this.extract(id);
      else if (s === 'running' || s === 'starting' || s === 'stopping') {
        this.menu.update(id, { _status: 'stopped' });
        if (row['start-on-boot'] === 'true') {
          try {
            this.start(id);
          } catch (e) {
            this.log(`${row['name'] ?? id}: start on boot failed: ${(e as Error).message}`);
          }
        }
      }
    }
  }

  /** Called after a container row is added: background download/extract. */
  extract(id: string): void {
    this.after(id, this.o.faults.extractMs, async () => {
      const row = this.menu.lookup(id);
      if (!row) return;
      const name = row['name'] ?? id;
      try {
        const info = await this.loadImage(row);
        const arch = info.config.architecture;
        if (arch && arch !== ociArch(this.o.arch)) throw new ImageError(`image architecture ${arch} does not match ${ociArch(this.o.arch)}`);
        if (!this.menu.lookup(id)) return;
        const cfg = info.config.config ?? {};
        if (this.engine) {
          await this.engine.unpack(row, info);
          rmSync(join(this.o.imagesDir, id.slice(1)), { recursive: true, force: true });
          if (!this.menu.lookup(id)) return;
        }
        this.menu.update(id, {
          _image: JSON.stringify(cfg),
          _status: 'stopped',
          os: info.config.os ?? 'linux',
          arch: arch ?? ociArch(this.o.arch),
          tag: info.repoTag,
          'default-cmd': (cfg.Cmd ?? []).join(' '),
          'default-entrypoint': (cfg.Entrypoint ?? []).join(' '),
          'default-workdir': cfg.WorkingDir ?? '',
          'default-user': cfg.User ?? '',
        });
        if (row['root-dir'] && !this.engine) this.o.files.mkdir(row['root-dir']);
        this.log(`${name}: import successful`);
      } catch (e) {
        if (!this.menu.lookup(id)) return;
        const msg = e instanceof ImageError ? e.message : `failed to download: ${(e as Error).message}`;
        this.menu.update(id, { _status: 'error' });
        this.log(`error: ${msg}`);
        this.log(`was unable to import, container ${name}`);
      }
    });
  }

  private async loadImage(row: Row): Promise<ImageInfo> {
    if (row['file']) {
      if (!this.o.files.stat(row['file'])) throw new ImageError('could not open image file');
      const blobs = this.engine ? join(this.o.imagesDir, (row['.id'] as string).slice(1)) : undefined;
      return readDockerArchive(this.o.files.resolve(row['file']), blobs);
    }
    const cfg = this.o.ctx.state.menu('container/config').rows()[0] ?? {};
    const ref = parseRemoteImage(row['remote-image'] ?? '', cfg['registry-url'] ?? '');
    this.log(`importing remote image: ${row['remote-image']}`);
    const creds = { username: cfg['username'], password: cfg['password'] };
    return pullImage(ref, ociArch(this.o.arch), creds, join(this.o.imagesDir, (row['.id'] as string).slice(1)), (m) => this.log(m));
  }

  start(ref: string): void {
    const row = this.menu.find(ref);
    const id = row['.id'] as string;
    const s = row['_status'] as ContainerStatus;
    if (s === 'running' || s === 'starting') return;
    if (s === 'extracting') throw badRequest('failure: container is not ready');
    if (s === 'error') throw badRequest('failure: container image import failed');
    if (s === 'stopping') throw badRequest('failure: container is stopping');
    if (!row['cmd'] && !row['entrypoint'] && !row['default-cmd'] && !row['default-entrypoint']) {
      throw badRequest('failure: start failed: no command specified, set cmd or entrypoint');
    }
    this.menu.update(id, { _status: 'starting' });
    this.after(id, TRANSITION_MS, async () => {
      const current = this.menu.lookup(id);
      if (current?.['_status'] !== 'starting') return;
      // A veth removed after the container was added: the start fails on the router, not in the reply.
      const veths = this.o.ctx.state.menu('interface/veth').rows();
      if (!(current['interface'] ?? '').split(',').every((i) => veths.some((v) => v['name'] === i))) {
        this.menu.update(id, { _status: 'stopped' });
        this.log(`${current['name'] ?? id}: could not acquire interface: no device (6)`);
        return;
      }
      this.menu.update(id, { _status: 'running', _startedAt: String(Date.now()) });
      if (this.engine) await this.launch(id, current);
      else await this.openListener(id);
      const crash = this.o.faults.crashAfterMs;
      if (crash > 0) this.after(id, crash, () => this.crash(id, 255));
    });
  }

  stop(ref: string): void {
    const row = this.menu.find(ref);
    const id = row['.id'] as string;
    const s = row['_status'];
    if (s !== 'running' && s !== 'starting') return;
    this.menu.update(id, { _status: 'stopping' });
    const engine = this.engine;
    if (engine?.isRunning(row)) {
      // The exit handler of launch() moves it to stopped.
      void engine.stop(row);
      return;
    }
    this.after(id, TRANSITION_MS, async () => {
      await this.closeListener(id);
      if (this.menu.lookup(id)) this.menu.update(id, { _status: 'stopped' });
    });
  }

  /** The process exits on its own (fault injection): listener gone, status stopped. */
  async crash(ref: string, exitCode = 255): Promise<void> {
    const row = this.menu.find(ref);
    const id = row['.id'] as string;
    if (row['_status'] !== 'running' && row['_status'] !== 'starting') throw badRequest('failure: container is not running');
    if (this.engine?.isRunning(row)) {
      // A real process: SIGKILL it; its exit is logged with the status it really had.
      await this.engine.kill(row);
      return;
    }
    await this.closeListener(id);
    this.menu.update(id, { _status: 'stopped' });
    const exit = `*** error: exited with status ${exitCode}`;
    this.containerLog(row, exit, `${row['name'] ?? id}: ${exit}`);
  }

  /** Remove is allowed only when fully stopped (or failed); called by the menu hook. */
  checkRemovable(row: Row): void {
    const s = row['_status'];
    if (s !== 'stopped' && s !== 'error') throw badRequest('failure: container should be stopped');
  }

  forget(row: Row): void {
    const id = row['.id'] as string;
    for (const t of this.timers.get(id) ?? []) clearTimeout(t);
    this.timers.delete(id);
    void this.closeListener(id);
    rmSync(join(this.o.imagesDir, id.slice(1)), { recursive: true, force: true });
    this.engine?.discard(row);
  }

  /** Sets what a container answers on its veth address while it runs (admin endpoint). */
  async setListen(ref: string, spec: ListenSpec | undefined): Promise<void> {
    const row = this.menu.find(ref);
    if (this.engine) throw badRequest('containers run for real here: the container\'s own process answers on its address');
    if (spec && !this.vethAddress(row)) throw badRequest('container has no veth address in 127.0.0.0/8');
    // Kept in the row (hidden) so a restarted simulator serves it again.
    this.menu.update(row['.id'] as string, { _listen: spec ? JSON.stringify(spec) : '' });
    await this.closeListener(row['.id'] as string);
    if (row['_status'] === 'running') await this.openListener(row['.id'] as string);
  }

  /** Appends lines as container output (/log, and /container/log from 7.20) when `logging=yes`. */
  output(ref: string, lines: string[]): void {
    const row = this.menu.find(ref);
    if (row['logging'] !== 'true' || row['_status'] !== 'running') return;
    for (const l of lines) this.containerLog(row, l);
  }

  /**
   * Sets what `memory-current`/`cpu-usage` report while the container runs (admin endpoint);
   * kept in hidden fields so a restarted simulator reports them again.
   */
  setUsage(ref: string, usage: { memoryBytes?: number; cpuPercent?: number }): void {
    const row = this.menu.find(ref);
    const patch: Row = {};
    if (usage.memoryBytes !== undefined) patch['_memory'] = String(usage.memoryBytes);
    if (usage.cpuPercent !== undefined) patch['_cpu'] = String(usage.cpuPercent);
    this.menu.update(row['.id'] as string, patch);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const set of this.timers.values()) for (const t of set) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.listeners.keys()].map((id) => this.closeListener(id)));
    await this.engine?.close();
  }

  /**
   * Starts the real process. Its lines go to the logs when `logging=yes`; its end moves the
   * container to stopped: a start failure or an exit the user did not ask for is logged as
   * RouterOS logs it (`*** error: start failed: …`, `*** error: exited with status N`).
   */
  private async launch(id: string, row: Row): Promise<void> {
    const engine = this.engine as RuncEngine;
    const name = row['name'] ?? id;
    let image: ImageDefaults = {};
    try {
      image = JSON.parse(row['_image'] || '{}') as ImageDefaults;
    } catch {
      // an image imported by an older simulator: no defaults
    }
    let running;
    try {
      running = await engine.start(row, image, (line) => {
        const r = this.menu.lookup(id);
        if (r?.['logging'] === 'true') this.containerLog(r, line);
      });
      if (this.menu.lookup(id)?.['_status'] !== 'running') void engine.kill(row);
    } catch (e) {
      this.menu.update(id, { _status: 'stopped' });
      const msg = `*** error: start failed: ${(e as Error).message}`;
      this.containerLog(row, msg, `${name}: ${msg}`);
      return;
    }
    void running.done.then((r) => {
      const now = this.menu.lookup(id);
      // A simulator stopping is a router shutting down: the state stays as it was for the reboot.
      if (!now || this.closed) return;
      // Stopping, or stopped while the start was still under way: someone asked for the end.
      const asked = now['_status'] !== 'running';
      this.menu.update(id, { _status: 'stopped' });
      const msg = r.startError ? `*** error: start failed: ${r.startError}` : !asked && r.status !== 0 ? `*** error: exited with status ${r.status}` : undefined;
      if (msg) this.containerLog(now, msg, `${name}: ${msg}`);
    });
  }

  private vethAddress(row: Row): string | undefined {
    const first = (row['interface'] ?? '').split(',')[0];
    const veth = this.o.ctx.state.menu('interface/veth').rows().find((v) => v['name'] === first);
    return loopbackAddress(veth?.['address'] ?? '');
  }

  private async openListener(id: string): Promise<void> {
    const row = this.menu.lookup(id);
    if (!row || this.closed) return;
    const spec = row['_listen'] ? (JSON.parse(row['_listen']) as ListenSpec) : undefined;
    const host = this.vethAddress(row);
    if (!spec || !host || this.listeners.has(id)) return;
    try {
      const l = await ContainerListener.open(host, spec, (line) => this.output(id, [line]));
      this.listeners.set(id, l);
    } catch (e) {
      this.log(`${row['name']}: could not listen on ${host}:${spec.port}: ${(e as Error).message}`);
    }
  }

  private async closeListener(id: string): Promise<void> {
    const l = this.listeners.get(id);
    this.listeners.delete(id);
    await l?.close();
  }

  private after(id: string, ms: number, fn: () => unknown): void {
    if (this.closed) return;
    let set = this.timers.get(id);
    if (!set) this.timers.set(id, (set = new Set()));
    const t = setTimeout(() => {
      set.delete(t);
      void Promise.resolve().then(fn).catch((e: unknown) => this.log(`simulator: ${(e as Error).message}`));
    }, ms);
    set.add(t);
  }
}
