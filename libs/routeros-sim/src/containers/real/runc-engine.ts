// Containers that really run: at import the image's layers are unpacked into root-dir; a
// start is a `runc run` of the launch plan, in the network namespace of the container's veth;
// stop sends the stop signal, then SIGKILL after stop-time; remove deletes root-dir.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FileStore } from '../../files/store';
import type { MenuContext } from '../../state/menu-spec';
import type { Row } from '../../state/values';
import { ImageError, type ImageInfo } from '../image-archive';
import { SimInstance, removeCgroup } from './instance';
import { launchPlan, type ImageDefaults } from './launch-plan';
import { eachLine } from './output-lines';
import { applyLayer, LayerError } from './rootfs';
import { Runc, type RuncProcess } from './runc';

/** Where a container's veth puts it: the namespace to join and the veth's own addressing. */
export interface ContainerNetwork {
  netnsPath: string;
  address?: string;
  gateway?: string;
}

export interface EngineOptions {
  ctx: MenuContext;
  files: FileStore;
  dataDir: string;
  /** The network namespace of a veth (undefined: the container gets an empty one). */
  network?: (veth: string) => Promise<ContainerNetwork | undefined>;
}

export interface RunningContainer {
  /** Resolves when the process is gone: exit status, or the reason it never started. */
  done: Promise<{ status: number; startError?: string }>;
}

/** Why real containers cannot run here, or undefined when they can. */
export function realRuntimeUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  for (const [bin, arg] of [['runc', '--version'], ['ip', '-V']] as const) {
    try {
      execFileSync(bin, [arg], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      return `${bin} not found (Debian package ${bin === 'ip' ? 'iproute2' : bin})`;
    }
  }
  const probe = `/sys/fs/cgroup/memory/routeros-sim-probe-${process.pid}`;
  try {
    mkdirSync(probe);
    rmdirSync(probe);
  } catch (e) {
    return `cannot create memory cgroups (${(e as Error).message})`;
  }
  return undefined;
}

const signalNumber = (v: string | undefined) => Number(/^(\d+)/.exec(v ?? '')?.[1] ?? 15) || 15;

/** RouterOS durations (`10s`, `1m30s`, `500ms`, plain seconds) in ms. */
export function durationMs(v: string | undefined, fallback: number): number {
  const s = (v ?? '').trim();
  if (!s) return fallback;
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  let total = 0;
  const re = /(\d+)(ms|s|m|h|d)/g;
  let m: RegExpExecArray | null;
  let seen = '';
  while ((m = re.exec(s))) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : n * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
    seen += m[0];
  }
  return seen === s ? total : fallback;
}

export class RuncEngine {
  readonly runc: Runc;
  private readonly procs = new Map<string, RuncProcess>();

  constructor(
    readonly instance: SimInstance,
    private readonly o: EngineOptions,
  ) {
    this.runc = new Runc(instance.runcRoot);
  }

  static async create(o: EngineOptions): Promise<RuncEngine> {
    return new RuncEngine(await SimInstance.create(), o);
  }

  private cid(id: string): string {
    return `${this.instance.prefix}-${id.slice(1).toLowerCase()}`;
  }

  /** The host directory of a container's root-dir (a private one when root-dir is unset). */
  rootPath(row: Row): string {
    const rd = row['root-dir'];
    return rd ? this.o.files.resolve(rd) : join(this.o.dataDir, 'container-roots', (row['.id'] as string).slice(1));
  }

  /** Unpacks the image into a fresh root-dir; RouterOS's `failed to extract layer` on bad layers. */
  async unpack(row: Row, image: ImageInfo): Promise<void> {
    const root = this.rootPath(row);
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true, mode: 0o755 });
    for (const file of image.layerFiles ?? []) {
      try {
        await applyLayer(root, file);
      } catch (e) {
        if (e instanceof LayerError) throw new ImageError(`failed to extract layer: ${e.message}`);
        throw e;
      }
    }
  }

  /** Where containers' veths put them (set once the router namespace exists). */
  set network(fn: EngineOptions['network']) {
    this.o.network = fn;
  }

  async start(row: Row, image: ImageDefaults, onLine: (line: string) => void): Promise<RunningContainer> {
    const id = row['.id'] as string;
    const cid = this.cid(id);
    const bundleDir = this.instance.bundleDir(cid);
    rmSync(bundleDir, { recursive: true, force: true });
    mkdirSync(bundleDir, { recursive: true });
    const veth = (row['interface'] ?? '').split(',')[0] ?? '';
    const net = await this.o.network?.(veth);
    const plan = launchPlan({
      ctx: this.o.ctx,
      files: this.o.files,
      row,
      image,
      rootPath: this.rootPath(row),
      bundleDir,
      ...(net?.address ? { address: net.address } : {}),
      ...(net?.gateway ? { gateway: net.gateway } : {}),
    });
    const p = this.runc.run(cid, bundleDir, {
      ...plan,
      cgroupsPath: `${this.instance.cgroupParent}/${cid}`,
      ...(net ? { netnsPath: net.netnsPath } : {}),
    });
    this.procs.set(id, p);
    const outputs = Promise.all([eachLine(p.stdout, onLine), eachLine(p.stderr, onLine)]);
    const done = p.done.then(async (r) => {
      await outputs;
      this.procs.delete(id);
      await this.runc.delete(cid);
      rmSync(bundleDir, { recursive: true, force: true });
      return r;
    });
    return { done };
  }

  /** Stop signal now, SIGKILL after `stop-time` (default 10 s) if still running. */
  async stop(row: Row, graceMs = durationMs(row['stop-time'], 10_000)): Promise<void> {
    const id = row['.id'] as string;
    const p = this.procs.get(id);
    if (!p) return;
    await this.runc.kill(p.id, signalNumber(row['stop-signal']));
    const killer = setTimeout(() => void this.runc.kill(p.id, 'KILL'), graceMs);
    await p.done.finally(() => clearTimeout(killer));
  }

  async kill(row: Row): Promise<void> {
    const p = this.procs.get(row['.id'] as string);
    if (p) await this.runc.kill(p.id, 'KILL');
  }

  isRunning(row: Row): boolean {
    return this.procs.has(row['.id'] as string);
  }

  /** memory.usage_in_bytes of a running container's cgroup. */
  memoryBytes(row: Row): number | undefined {
    const p = this.procs.get(row['.id'] as string);
    if (!p) return undefined;
    try {
      return Number(readFileSync(`/sys/fs/cgroup/memory${this.instance.cgroupParent}/${p.id}/memory.usage_in_bytes`, 'utf8').trim());
    } catch {
      return undefined;
    }
  }

  discard(row: Row): void {
    rmSync(this.rootPath(row), { recursive: true, force: true });
  }

  /** Kills every container (a router shutting down) and removes all host state of this instance. */
  async close(): Promise<void> {
    const procs = [...this.procs.values()];
    await Promise.all(procs.map((p) => this.runc.kill(p.id, 'KILL')));
    await Promise.all(procs.map((p) => Promise.race([p.done, new Promise((r) => setTimeout(r, 5000))])));
    for (const p of procs) await removeCgroup(`/sys/fs/cgroup/memory${this.instance.cgroupParent}/${p.id}`);
    await this.instance.release();
  }
}
