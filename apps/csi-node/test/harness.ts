// Test harness: a simulated RDS (file disks with real sparse backing files, exported over its
// NVMe/TCP face on a 127.0.0.x storage address of its own), the nvme-cli stand-in (dials that
// address; loop devices + a temp sysfs tree), and csi-node as a real process on a unix socket.
// Teardown unmounts everything under the temp root and detaches every loop device it attached.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect } from 'vitest';
import { nqnFor } from '@mikrotik-kube/csi-common';
import { createClient, unary } from '@mikrotik-kube/grpc-kit';
import { contracts } from '@mikrotik-kube/proto';
import { diskPlugin, nvmeTcpPlugin, Simulator } from '@mikrotik-kube/routeros-sim';
import { freeLoopbackAddress, startTsProcess, type ProcessHandle } from '@mikrotik-kube/test-support';
import { detachAll, standinBin } from './support/nvme-standin';

export const MiB = 1024 ** 2;

/** Why these tests cannot run here, or undefined (root, loop devices, mkfs and mount available). */
export function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (loop devices and mount)';
  if (!existsSync('/dev/loop-control')) return 'needs /dev/loop-control (loop devices)';
  for (const tool of ['losetup', 'mkfs.ext4', 'mkfs.xfs', 'blkid', 'resize2fs', 'xfs_growfs', 'blockdev']) {
    try {
      execFileSync('which', [tool], { stdio: 'ignore' });
    } catch {
      return `needs ${tool} (Debian e2fsprogs/xfsprogs/util-linux)`;
    }
  }
  return undefined;
}

export type NodeClient = grpc.Client & Record<string, unknown>;

export class NodeEnv {
  readonly root = mkdtempSync(join(tmpdir(), 'csi-node-test-'));
  readonly kubelet = join(this.root, 'kubelet');
  readonly sys = join(this.root, 'sys');
  readonly simDir = join(this.root, 'sim');
  readonly socket = join(this.root, 'plugin', 'csi.sock');
  readonly stateFile = join(this.kubelet, 'plugins', 'rds.csi.srvlab.io', 'node-state.json');
  sim!: Simulator;
  /** Where the simulated RDS serves its exports (the volume context's nvmeAddress). */
  storageAddress = '';
  proc?: ProcessHandle;
  client?: NodeClient;

  constructor() {
    mkdirSync(this.kubelet, { recursive: true });
    mkdirSync(this.sys, { recursive: true });
  }

  /** Creates and exports a file disk the way csi-controller does (slot = volume id, NQN by convention). */
  createVolume(volumeId: string, bytes: number): Record<string, string> {
    this.sim.state.menu('disk').add({
      type: 'file',
      slot: volumeId,
      'file-path': `/storage-pool/metal-csi/${volumeId}.img`,
      'file-size': String(bytes),
      'nvme-tcp-export': 'yes',
      'nvme-tcp-server-port': '4420',
      'nvme-tcp-server-nqn': nqnFor(volumeId),
    });
    this.sim.state.flush();
    return { nqn: nqnFor(volumeId), nvmeAddress: this.storageAddress, nvmePort: '4420', rdsAddress: '127.0.0.1', volumePath: '/storage-pool/metal-csi' };
  }

  /** Grows a volume's backing file the way ControllerExpandVolume does (`/disk set file-size=`). */
  growVolume(volumeId: string, bytes: number): void {
    this.sim.state.menu('disk').set(volumeId, { 'file-size': String(bytes) });
    this.sim.state.flush();
  }

  backingFile(volumeId: string): string {
    return join(this.simDir, 'files/storage-pool/metal-csi', `${volumeId}.img`);
  }

  async start(): Promise<NodeClient> {
    if (!this.sim) {
      this.storageAddress = await freeLoopbackAddress(4420);
      this.sim = new Simulator({ dataDir: this.simDir, plugins: [diskPlugin({ poolBytes: 8 * 1024 * MiB }), nvmeTcpPlugin({ host: this.storageAddress })] });
      await this.sim.start();
    }
    this.proc = startTsProcess('apps/csi-node/src/main.ts', {
      args: [
        '--node-id', 'node-a',
        '--endpoint', `unix://${this.socket}`,
        '--kubelet-dir', this.kubelet,
        '--sysfs-root', this.sys,
        '--nvme.bin', standinBin,
        '--nvme.host-nqn-file', join(this.root, 'hostnqn'),
        '--http.host', '127.0.0.1',
        '--http.port', '0',
        '--recovery-interval-seconds', '0',
        '--log.level', 'debug',
      ],
      env: { NVME_STANDIN_SYSFS: this.sys },
    });
    await this.proc.waitForLine(/csi-node listening/, 60_000);
    const Node = contracts.csi().Node;
    this.client = createClient(Node, `unix://${this.socket}`, { deadlineMs: 120_000, maxAttempts: 1 }) as unknown as NodeClient;
    return this.client;
  }

  async stop(): Promise<void> {
    this.client?.close();
    this.client = undefined;
    await this.proc?.stop('SIGTERM', 20_000);
    this.proc = undefined;
  }

  call<Res = Record<string, unknown>>(method: string, req: object): Promise<Res> {
    if (!this.client) throw new Error('node not started');
    return unary(this.client, method, req) as Promise<Res>;
  }

  /** Mount targets under the temp root, deepest first. */
  mountsUnderRoot(): string[] {
    return readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4]?.replace(/\\040/g, ' '))
      .filter((t): t is string => !!t && t.startsWith(this.root + '/'))
      .sort((a, b) => b.length - a.length);
  }

  async cleanup(): Promise<void> {
    await this.stop().catch(() => undefined);
    for (let i = 0; i < 4; i++) {
      for (const t of this.mountsUnderRoot()) {
        try {
          execFileSync('umount', [t], { stdio: 'ignore' });
        } catch {
          execFileSync('umount', ['-l', t], { stdio: 'ignore' });
        }
      }
    }
    detachAll(this.sys);
    await this.sim?.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}

export const mountCap = (fs_type = 'ext4', mode = 'SINGLE_NODE_WRITER') => ({
  mount: { fs_type, mount_flags: [] },
  access_mode: { mode },
});
export const blockCap = (mode = 'SINGLE_NODE_WRITER') => ({ block: {}, access_mode: { mode } });

/** The gRPC status code of a rejected promise. */
export async function codeOf(p: Promise<unknown>): Promise<number | 'OK'> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    return (e as grpc.ServiceError).code;
  }
}

/**
 * Starts one NodeEnv for the enclosing describe block and tears it down after,
 * asserting that no mount is left under its root. Returns a getter.
 */
export function useNodeEnv(): () => NodeEnv {
  let env: NodeEnv | undefined;
  beforeAll(async () => {
    env = new NodeEnv();
    await env.start();
  }, 120_000);
  afterAll(async () => {
    if (!env) return;
    await env.cleanup();
    expect(env.mountsUnderRoot()).toEqual([]);
  }, 120_000);
  return () => {
    if (!env) throw new Error('NodeEnv not started');
    return env;
  };
}
