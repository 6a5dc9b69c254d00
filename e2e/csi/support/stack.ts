// Real processes for the CSI e2e tests and the benchmark: the RouterOS simulator (SSH face
// with real sparse backing files), csi-controller and, when it exists, csi-node.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeClient } from '@mikrotik-kube/grpc-kit';
import { freeLoopbackAddress, freePort, repoRoot, startTsProcess, type ProcessHandle } from '@mikrotik-kube/test-support';

export const SIM_USER = 'admin';
export const SIM_PASSWORD = 'csi-test-pw';
export const VOLUME_BASE = '/storage-pool/metal-csi';

export interface Sim {
  proc: ProcessHandle;
  dataDir: string;
  sshPort: number;
  hostKey: string;
  restUrl: string;
  /** The NVMe/TCP face's storage address (127.0.0.x, apart from the 127.0.0.1 management faces), when asked for. */
  nvmeAddress?: string;
  /** Backing files under the volume base, as the router's file store holds them. */
  volumeFiles(): string[];
  fileSize(name: string): number;
  stop(): Promise<void>;
}

/** Why the simulator's pool cannot be a real btrfs here (mkfs.btrfs, root for the loop mount), else undefined. */
export function requireBtrfs(): string | undefined {
  if (process.getuid?.() !== 0) return 'a loop btrfs mount needs root';
  try {
    execFileSync('mkfs.btrfs', ['--version'], { stdio: 'ignore' });
    execFileSync('btrfs', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'mkfs.btrfs / btrfs not installed (btrfs-progs, tools/setup/apt-packages.txt)';
  }
  return undefined;
}

/** Mounts a fresh loop btrfs of `bytes` at `dir`; returns its unmount. */
function mountBtrfs(dir: string, image: string, bytes: number): () => void {
  execFileSync('truncate', ['-s', String(bytes), image]);
  execFileSync('mkfs.btrfs', ['-q', image]);
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-o', 'loop', image, dir]);
  return () => {
    execFileSync('umount', [dir]);
    rmSync(image, { force: true });
  };
}

/**
 * `btrfsPool`: the storage pool (the simulator's `storage-pool` directory) is a real loop btrfs
 * of that many bytes, so `/disk/btrfs/subvolume` makes real subvolumes and snapshots.
 */
export async function startSim(opts: { latencyMs?: number; nvme?: boolean; btrfsPool?: number } = {}): Promise<Sim> {
  const dataDir = mkdtempSync(join(tmpdir(), 'csi-sim-'));
  const unmount = opts.btrfsPool ? mountBtrfs(join(dataDir, 'files', VOLUME_BASE.split('/')[1] as string), `${dataDir}.btrfs`, opts.btrfsPool) : undefined;
  const sshPort = await freePort();
  const args = ['--rest-port', '0', '--ssh-port', String(sshPort), '--data-dir', dataDir, '--user', SIM_USER, '--password', SIM_PASSWORD];
  if (opts.latencyMs) args.push('--latency-ms', String(opts.latencyMs));
  const nvmeAddress = opts.nvme ? await freeLoopbackAddress(4420) : undefined;
  if (nvmeAddress) args.push('--nvme-host', nvmeAddress);
  const proc = startTsProcess('libs/routeros-sim/src/cli.ts', { args });
  const line = await proc.waitForLine(/routeros-sim ready/, 60_000);
  const hostKey = /ssh-host-key=(SHA256:\S+)/.exec(line)?.[1];
  const restUrl = /rest=(\S+)/.exec(line)?.[1] ?? '';
  if (!hostKey) throw new Error(`no ssh host key in ready line: ${line}`);
  const dir = join(dataDir, 'files', VOLUME_BASE.slice(1));
  return {
    proc,
    dataDir,
    sshPort,
    hostKey,
    restUrl,
    ...(nvmeAddress ? { nvmeAddress } : {}),
    volumeFiles: () => (existsSync(dir) ? readdirSync(dir).sort() : []),
    fileSize: (name) => statSync(join(dir, name)).size,
    async stop() {
      await proc.stop();
      unmount?.();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ControllerProc {
  proc: ProcessHandle;
  endpoint: string;
  socketPath: string;
  /** The ops server (/metrics, /readyz). */
  opsUrl: string;
  stop(): Promise<void>;
}

/** A controller test's teardown, in order: the gRPC client, the controller, the simulators, the temp dir. */
export async function stopStack(s: { client?: Parameters<typeof closeClient>[0]; controller?: ControllerProc; sims: Array<Sim | undefined>; dir?: string }): Promise<void> {
  if (s.client) closeClient(s.client);
  await s.controller?.stop();
  await Promise.all(s.sims.map((sim) => sim?.stop()));
  if (s.dir) rmSync(s.dir, { recursive: true, force: true });
}

export type LogLine = Record<string, unknown>;

/** A process's JSON log lines so far. */
export function logLines(proc: ProcessHandle): LogLine[] {
  return proc
    .output()
    .split('\n')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as LogLine];
      } catch {
        return [];
      }
    });
}

/** A sample from /metrics whose labels include `labels` (the registry adds service="…"). */
export async function metricValue(opsUrl: string, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m?.[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

export async function startController(sim: Sim, opts: { dir: string; args?: string[]; name?: string }): Promise<ControllerProc> {
  const socketPath = join(opts.dir, `${opts.name ?? 'controller'}.sock`);
  const endpoint = `unix://${socketPath}`;
  const proc = startTsProcess('apps/csi-controller/src/main.ts', {
    args: [
      '--csi.endpoint', endpoint,
      '--rds.address', '127.0.0.1',
      '--rds.port', String(sim.sshPort),
      '--rds.user', SIM_USER,
      '--rds.password', SIM_PASSWORD,
      '--rds.host-key', sim.hostKey,
      // Nodes connect to the storage address, never the management one.
      ...(sim.nvmeAddress ? ['--rds.nvme-address', sim.nvmeAddress] : []),
      '--http.host', '127.0.0.1',
      '--http.port', '0',
      '--log.level', 'info',
      ...(opts.args ?? []),
    ],
  });
  await proc.waitForLine(/csi-controller ready/, 60_000);
  const opsUrl = String(logLines(proc).find((l) => l['message'] === 'ops server listening')?.['url'] ?? '');
  return { proc, endpoint, socketPath, opsUrl, stop: async () => void (await proc.stop()) };
}

export const csiNodeEntry = join(repoRoot, 'apps/csi-node/src/main.ts');
export const csiNodeExists = (): boolean => existsSync(csiNodeEntry);
