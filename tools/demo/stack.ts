// Starts demo components as real processes, in order: reserves their ports,
// waits for each one's ready line and runs its onReady step. Used by `make demo`
// and by the end-to-end tests, which run the same system with assertions.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot, startProcess, startTsProcess, type ProcessHandle } from '@mikrotik-kube/test-support';
import { DEMO_NETWORK, type ContainerMode, type DemoComponent, type DemoContext, type PodNetwork } from './components';
import type { StackImage } from './demo-image';

export interface Stack {
  ctx: DemoContext;
  started: Array<{ name: string; proc: ProcessHandle }>;
  proc(name: string): ProcessHandle;
  /** Starts a stopped component again with the same ports and arguments. */
  restart(name: string): Promise<void>;
  /** Stops everything in reverse order; returns each exit. */
  stop(): Promise<Array<{ name: string; code: number | null; signal: NodeJS.Signals | null }>>;
}

export interface StackOptions {
  log?: (line: string) => void;
  /** Tests running side by side need pod networks of their own (default: the demo's, loopback or routed by `containers`). */
  network?: PodNetwork;
  /** How the simulator runs containers (default emulated). */
  containers?: ContainerMode;
  /** Images pushed to the registry besides demo/app:1. */
  images?: StackImage[];
  /** Pods file vk-provider starts with (default deploy/boot-order.yaml). */
  podsFile?: string;
  /** vk-provider's resync period (default 10 s); a test of the file watch sets it beyond its waits. */
  resyncSeconds?: number;
  /** Run the services' bundles from `make build` (dist/apps/<name>/main.js, what the image runs) instead of their sources. */
  built?: boolean;
}

/** apps/<name>/src/main.ts → dist/apps/<name>/main.js */
function bundleOf(entry: string): string | undefined {
  const m = /^apps\/([^/]+)\/src\/main\.ts$/.exec(entry);
  return m ? `dist/apps/${m[1]}/main.js` : undefined;
}

export async function startStack(components: DemoComponent[], opts: StackOptions = {}): Promise<Stack> {
  const log = opts.log ?? (() => undefined);
  const dataDir = mkdtempSync(join(tmpdir(), 'mikrotik-kube-demo-'));
  const ctx: DemoContext = {
    dataDir,
    ports: {},
    urls: { ...(opts.podsFile ? { podsFileSource: opts.podsFile } : {}) },
    network: opts.network ?? DEMO_NETWORK,
    ...(opts.network ? { requestedNetwork: opts.network } : {}),
    containers: { requested: opts.containers ?? 'emulated' },
    images: opts.images ?? [],
    resyncSeconds: opts.resyncSeconds ?? 10,
  };
  const started: Stack['started'] = [];
  const byName = new Map(components.map((c) => [c.name, c]));
  const args = new Map<string, string[]>();

  const stop: Stack['stop'] = async () => {
    const out = [];
    for (const { name, proc } of [...started].reverse()) out.push({ name, ...(await proc.stop('SIGTERM', 15_000)) });
    rmSync(dataDir, { recursive: true, force: true });
    return out;
  };
  const launch = async (c: DemoComponent, a: string[]) => {
    const bundle = opts.built ? bundleOf(c.entry) : undefined;
    if (bundle && !existsSync(join(repoRoot, bundle))) throw new Error(`${bundle} is missing (run make build)`);
    const env = c.env?.(ctx) ?? {};
    const proc = bundle ? startProcess(process.execPath, [join(repoRoot, bundle), ...a], { env }) : startTsProcess(c.entry, { args: a, env });
    const entry = started.find((s) => s.name === c.name);
    if (entry) entry.proc = proc;
    else started.push({ name: c.name, proc });
    await proc.waitForLine(c.ready, 90_000);
    return proc;
  };

  try {
    for (const c of components) {
      if (!existsSync(join(repoRoot, c.entry))) {
        log(`demo: ${c.name} not built yet (${c.entry} missing), skipped`);
        continue;
      }
      let proc: ProcessHandle | undefined;
      // A reserved port can be taken (e.g. as an outgoing connection's source port) before
      // the component binds it: then choose new ports and start again.
      for (let attempt = 1; !proc; attempt++) {
        for (const p of c.ports) ctx.ports[`${c.name}.${p}`] = await freePort();
        const a = c.args(ctx);
        args.set(c.name, a);
        proc = await launch(c, a).catch((e: unknown) => {
          const msg = (e as Error).message;
          if (attempt < 3 && msg.includes('EADDRINUSE')) return undefined;
          throw new Error(`${c.name} failed to start: ${msg}`);
        });
      }
      await c.onReady?.(ctx, await proc.waitForLine(c.ready));
      log(`demo: started ${c.name} (pid ${proc.pid})${c.describe ? ` — ${c.describe(ctx)}` : ''}`);
    }
  } catch (e) {
    await stop();
    throw e;
  }

  return {
    ctx,
    started,
    stop,
    proc(name) {
      const s = started.find((x) => x.name === name);
      if (!s) throw new Error(`${name} is not running`);
      return s.proc;
    },
    async restart(name) {
      const c = byName.get(name);
      const a = args.get(name);
      if (!c || !a) throw new Error(`${name} was never started`);
      await launch(c, a);
    },
  };
}
