// Real test peers built from Go source by tools/testenv/build.sh (csi-sanity, helm, crane,
// kubectl, the OCI conformance runner, etcd + kube-apiserver/controller-manager/scheduler,
// CSI sidecars), and a local control plane started by tools/testenv/control-plane.sh.
// Tests call requireTestPeers(...) / requireControlPlane() and skip with the returned reason.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

export { createNetns, netnsPids, removeNetns, requireNetns, sweepNetns, type Netns } from './netns';

export const repoRoot = resolve(import.meta.dirname, '../../..');
export const buildScript = join(repoRoot, 'tools/testenv/build.sh');
export const controlPlaneScript = join(repoRoot, 'tools/testenv/control-plane.sh');

/** The cache folder (TESTENV_DIR, default <repo>/.cache/testenv). */
export function testenvDir(): string {
  return process.env.TESTENV_DIR || join(repoRoot, '.cache/testenv');
}

/** The bin dir holding the built peers (TESTENV_BIN, default <testenvDir>/bin). */
export function testenvBinDir(): string {
  return process.env.TESTENV_BIN || join(testenvDir(), 'bin');
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * Absolute path of a built peer, or undefined when it is missing. For kubectl, build.sh keeps
 * a system kubectl that is within one minor of the apiserver, so PATH is searched too.
 */
export function testenvBin(name: string): string | undefined {
  const p = join(testenvBinDir(), name);
  if (isExecutable(p)) return p;
  if (name === 'kubectl' || name === 'openssl' || name === 'curl') return onPath(name);
  return undefined;
}

/**
 * The VolumeSnapshot CRDs (snapshot.storage.k8s.io) of the external-snapshotter that build.sh
 * built, which build.sh copies out of its client module; undefined when they are not there.
 */
export function snapshotCrdDir(): string | undefined {
  const dir = join(testenvDir(), 'crds/snapshot');
  return existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.yaml')) ? dir : undefined;
}

/** Like testenvBin, but throws (with the skip reason) when the peer is missing. */
export function testenvBinOrThrow(name: string): string {
  const p = testenvBin(name);
  if (!p) throw new Error(requireTestPeers(name) ?? `test peer missing: ${name}`);
  return p;
}

/** The version build.sh stamped for a peer (first word of its stamp), if any. */
export function testenvVersion(name: string): string | undefined {
  const stamp = join(testenvDir(), 'stamps', name);
  if (!existsSync(stamp)) return undefined;
  return readFileSync(stamp, 'utf8').split(/\s+/)[0] || undefined;
}

let goCache: { ok: boolean; why: string } | undefined;
/** Whether a Go toolchain >= 1.26 is on PATH (needed to build the peers). */
export function goAvailable(): { ok: boolean; why: string } {
  if (goCache) return goCache;
  const r = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    goCache = { ok: false, why: 'the Go toolchain is not installed (no `go` on PATH), so the Go-built test peers cannot be built' };
  } else {
    const v = r.stdout.trim();
    const m = /^go(\d+)\.(\d+)/.exec(v);
    const ok = !!m && (Number(m[1]) > 1 || Number(m[2]) >= 26);
    goCache = ok ? { ok, why: `Go ${v} is available` } : { ok, why: `Go ${v} is too old to build the test peers (need >= 1.26)` };
  }
  return goCache;
}

/**
 * Returns undefined when every named peer is present, else a skip reason that says which
 * peers are missing and why (no Go, or not built yet). Use with describe.skipIf(reason).
 */
export function requireTestPeers(...names: string[]): string | undefined {
  const missing = names.filter((n) => !testenvBin(n));
  if (missing.length === 0) return undefined;
  const go = goAvailable();
  const why = go.ok
    ? `not built yet: run \`bash tools/testenv/build.sh\` (make testenv) to build them into ${testenvBinDir()}`
    : `${go.why}; install Go >= 1.26 and run \`bash tools/testenv/build.sh\``;
  return `test peers missing: ${missing.join(', ')} (${why})`;
}

export const controlPlanePeers = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;

/** Skip reason when the local control plane cannot be started (missing binaries, openssl or curl). */
export function requireControlPlane(): string | undefined {
  const peers = requireTestPeers(...controlPlanePeers);
  if (peers) return peers;
  const tools = ['openssl', 'curl', 'setsid'].filter((t) => !onPath(t));
  if (tools.length) return `control plane needs ${tools.join(', ')} on PATH (Debian packages: openssl, curl, util-linux)`;
  return undefined;
}

export interface ControlPlane {
  /** Path of an admin kubeconfig (client certificate in group system:masters). */
  kubeconfig: string;
  apiserverUrl: string;
  /** Data dir: pki/, logs/, etcd data, pids, env. */
  dir: string;
  /** KEY=VALUE lines printed by control-plane.sh (KUBECONFIG, APISERVER_URL, ports, PID_*). */
  env: Record<string, string>;
  /** pids of etcd, kube-apiserver, kube-controller-manager, kube-scheduler. */
  pids: Record<string, number>;
  /** Environment for child processes (KUBECONFIG set, peer bin dir first on PATH). */
  childEnv(): NodeJS.ProcessEnv;
  /** Runs kubectl against it; its stdout trimmed, or an error naming the command and its stderr. */
  kubectl(args: string[], input?: string): string;
  /** Stops every process it started and removes the data dir (unless keepDir). */
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** Data dir; default a new temp dir, removed on stop. */
  dir?: string;
  /** Keep the data dir (logs) after stop. Default: keep only when TESTENV_KEEP is set. */
  keepDir?: boolean;
  /** ms to wait for readiness (default 240 s). */
  timeoutMs?: number;
  /** Run it inside this network namespace (see createNetns); its loopback is not the host's. */
  netns?: string;
}

const running = new Set<{ child: ChildProcess; dir: string; script: string }>();
process.on('exit', () => {
  // last resort (sync): the scripts in `run` mode also stop everything when their parent dies
  for (const r of running) {
    r.child.kill('SIGTERM');
    if (r.script === controlPlaneScript) spawnSync('bash', [controlPlaneScript, 'stop', r.dir], { stdio: 'ignore', timeout: 15_000 });
  }
});

/**
 * Starts etcd + kube-apiserver + kube-controller-manager + kube-scheduler on free loopback
 * ports (control-plane.sh run), resolves once /readyz is ok and kube-controller-manager has
 * created the default service account.
 */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const skip = requireControlPlane();
  if (skip) throw new Error(skip);
  // The script picks free ports, but another process (a test running beside us) can bind one
  // before our server does: then start again on new ports, in a new dir.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(controlPlaneScript, 'testenv-cp-', opts);
    } catch (e) {
      if (attempt >= 3 || opts.dir || !/address already in use/.test((e as Error).message)) throw e;
    }
  }
}

/** Runs `script run DIR` (control-plane.sh, cluster.sh) until it prints READY; parses its KEY=VALUE lines. */
export async function startOnce(script: string, tmpPrefix: string, opts: ControlPlaneOptions & { env?: NodeJS.ProcessEnv }): Promise<ControlPlane> {
  const ownDir = !opts.dir;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), tmpPrefix));
  const keepDir = opts.keepDir ?? !!process.env.TESTENV_KEEP;
  const timeoutMs = opts.timeoutMs ?? 240_000;
  const argv = ['bash', script, 'run', dir];
  const [command, ...args] = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...argv] : argv;
  const child = spawn(command as string, args, {
    cwd: repoRoot,
    env: { ...process.env, ...opts.env, TESTENV_BIN: testenvBinDir(), TESTENV_READY_TIMEOUT: String(Math.floor(timeoutMs / 1000)) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const entry = { child, dir, script };
  running.add(entry);
  let out = '';
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));

  const env = await new Promise<Record<string, string>>((res, rej) => {
    const timer = setTimeout(() => {
      rej(new Error(`control plane not ready after ${timeoutMs} ms; stderr:\n${err.slice(-4000)}`));
    }, timeoutMs + 10_000);
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (/^READY$/m.test(out)) {
        clearTimeout(timer);
        const kv: Record<string, string> = {};
        for (const line of out.split('\n')) {
          const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
          if (m?.[1] && m[2] !== undefined) kv[m[1]] = m[2];
        }
        res(kv);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`${script.split('/').pop()} exited (${code}) before ready; stderr:\n${err.slice(-4000)}`));
    });
  }).catch(async (e: unknown) => {
    child.kill('SIGTERM');
    await exited;
    running.delete(entry);
    if (ownDir && !keepDir) rmSync(dir, { recursive: true, force: true });
    throw e;
  });

  const pids: Record<string, number> = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('PID_')) pids[k.slice(4).toLowerCase().replace(/_/g, '-')] = Number(v);
  }
  const kubeconfig = env.KUBECONFIG;
  const apiserverUrl = env.APISERVER_URL;
  if (!kubeconfig || !apiserverUrl) throw new Error(`control-plane.sh printed no KUBECONFIG/APISERVER_URL:\n${out}`);
  let stopped: Promise<void> | undefined;
  const childEnv = (): NodeJS.ProcessEnv => ({
    ...process.env,
    KUBECONFIG: kubeconfig,
    PATH: `${testenvBinDir()}${delimiter}${process.env.PATH ?? ''}`,
  });
  return {
    kubeconfig,
    apiserverUrl,
    dir,
    env,
    pids,
    childEnv,
    kubectl(args, input) {
      const r = spawnSync(testenvBin('kubectl') as string, args, { env: childEnv(), input, encoding: 'utf8', timeout: 60_000 });
      if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    },
    stop() {
      stopped ??= (async () => {
        child.kill('SIGTERM');
        const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 90_000))]);
        if (code === 'timeout') {
          if (script === controlPlaneScript) spawnSync('bash', [controlPlaneScript, 'stop', dir], { stdio: 'ignore', timeout: 30_000 });
          child.kill('SIGKILL');
        }
        running.delete(entry);
        if (ownDir && !keepDir) rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

let shared: Promise<ControlPlane> | undefined;
/**
 * One control plane per test process (memoized); stopped when the process exits.
 * Prefer calling stop() in afterAll of the last suite that uses it.
 */
export function sharedControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  shared ??= startControlPlane(opts);
  return shared;
}

/** Whether a pid is still alive (for tests that check a clean stop); a zombie awaiting its reaper is not. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may hold spaces and parentheses, the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
export { clusterPeers, clusterScript, pauseImage, productImage, requireCluster, startCluster, testImages, type Cluster, type ClusterOptions, type ImageArchive } from './cluster';
