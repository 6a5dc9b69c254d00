// nvme-cli, the way the kernel's NVMe-oF initiator is driven from user space. Arguments are
// passed as a vector (no shell); the host NQN comes from the host's /etc/nvme/hostnqn so every
// node keeps its own identity (democratic-csi #451: an NQN baked into the image is shared).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Runner, run as defaultRun } from './exec';

export interface NvmeTarget {
  nqn: string;
  address: string;
  port: number;
  /** Seconds the kernel keeps retrying a lost controller; -1 = forever, 0 = kernel default. */
  ctrlLossTmo: number;
  reconnectDelay: number;
  keepAliveTmo: number;
}

export interface NvmeCliOptions {
  bin: string;
  devRoot: string;
  hostNqnFile: string;
  timeoutMs: number;
  run?: Runner;
}

const ALREADY = /already connected|Operation already in progress/i;

export class NvmeCli {
  private readonly run: Runner;

  constructor(private readonly o: NvmeCliOptions) {
    this.run = o.run ?? defaultRun;
  }

  private async hostNqn(): Promise<string | undefined> {
    try {
      return (await readFile(this.o.hostNqnFile, 'utf8')).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  async connect(t: NvmeTarget): Promise<void> {
    const args = ['connect', '-t', 'tcp', '-a', t.address, '-s', String(t.port), '-n', t.nqn];
    if (t.ctrlLossTmo !== 0) args.push('-l', String(t.ctrlLossTmo));
    if (t.reconnectDelay > 0) args.push('-c', String(t.reconnectDelay));
    if (t.keepAliveTmo > 0) args.push('-k', String(t.keepAliveTmo));
    const hostnqn = await this.hostNqn();
    if (hostnqn) args.push('-q', hostnqn);
    const r = await this.run(this.o.bin, args, { timeoutMs: this.o.timeoutMs, okCodes: [0, 1, 114] });
    if (r.code !== 0 && !ALREADY.test(r.stderr + r.stdout)) {
      throw new Error(`nvme connect ${t.nqn} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
    }
  }

  /** Returns how many controllers were disconnected. */
  async disconnect(nqn: string): Promise<number> {
    const r = await this.run(this.o.bin, ['disconnect', '-n', nqn], { timeoutMs: this.o.timeoutMs });
    const m = /disconnected (\d+) controller/.exec(r.stdout);
    return m ? Number(m[1]) : 0;
  }

  /** Asks a controller to rescan its namespaces (picks up a grown namespace). */
  async rescan(controller: string): Promise<void> {
    await this.run(this.o.bin, ['ns-rescan', join(this.o.devRoot, controller)], { timeoutMs: this.o.timeoutMs });
  }
}
