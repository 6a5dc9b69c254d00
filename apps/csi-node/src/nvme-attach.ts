// Connecting and disconnecting NVMe/TCP subsystems safely:
// - connect/disconnect transitions are serialised node-wide (tns-csi #206);
// - after connect, the namespace is awaited in sysfs with a bound (never a fixed sleep);
// - a subsystem that is connected but has no namespace (orphan) is dropped and reconnected;
// - disconnect only touches NQNs under the managed prefix, fails loudly, and polls sysfs until
//   the subsystem is really gone (tns-csi #204: returning early corrupted ext4).
import { grpcError, status } from '@mikrotik-kube/grpc-kit';
import type { NvmeCli, NvmeTarget } from './nvme-cli';
import type { NvmeSubsystem, NvmeSysfs } from './nvme-sysfs';

export interface AttachOptions {
  managedPrefix: string;
  deviceWaitMs: number;
  detachWaitMs: number;
  pollMs: number;
}

export interface Attached {
  device: string;
  subsystem: NvmeSubsystem;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class NvmeAttacher {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly cli: NvmeCli,
    private readonly sysfs: NvmeSysfs,
    private readonly o: AttachOptions,
  ) {}

  isManaged(nqn: string): boolean {
    return nqn.startsWith(this.o.managedPrefix);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  subsystem(nqn: string): Promise<NvmeSubsystem | undefined> {
    return this.sysfs.byNqn(nqn);
  }

  /** The device of an already-connected subsystem, if it has one. */
  current(nqn: string): Promise<Attached | undefined> {
    return this.sysfs.deviceForNqn(nqn);
  }

  /** Connects (unless connected with a usable namespace) and returns the block device. */
  attach(t: NvmeTarget): Promise<Attached> {
    return this.serial(async () => {
      const have = await this.sysfs.deviceForNqn(t.nqn);
      if (have) return have;
      if ((await this.sysfs.byNqn(t.nqn)) && this.isManaged(t.nqn)) {
        // Connected without a namespace: the old connection is useless, start over.
        await this.disconnectAndWait(t.nqn);
      }
      try {
        await this.cli.connect(t);
      } catch (e) {
        throw grpcError(status.UNAVAILABLE, `nvme connect ${t.nqn} (${t.address}:${t.port}) failed: ${(e as Error).message}`);
      }
      const deadline = Date.now() + this.o.deviceWaitMs;
      for (;;) {
        const found = await this.sysfs.deviceForNqn(t.nqn);
        if (found) return found;
        if (Date.now() > deadline) break;
        await sleep(this.o.pollMs);
      }
      // Roll back so a retry starts clean instead of finding a half-connected subsystem.
      await this.disconnectAndWait(t.nqn).catch(() => undefined);
      throw grpcError(status.UNAVAILABLE, `namespace of ${t.nqn} did not appear within ${this.o.deviceWaitMs} ms`);
    });
  }

  /** Disconnects a managed subsystem and waits until sysfs no longer lists it. */
  detach(nqn: string): Promise<void> {
    if (!this.isManaged(nqn)) {
      return Promise.reject(grpcError(status.FAILED_PRECONDITION, `refusing to disconnect ${nqn}: not under the managed prefix ${this.o.managedPrefix}`));
    }
    return this.serial(() => this.disconnectAndWait(nqn));
  }

  private async disconnectAndWait(nqn: string): Promise<void> {
    if (!(await this.sysfs.byNqn(nqn))) return;
    try {
      await this.cli.disconnect(nqn);
    } catch (e) {
      throw grpcError(status.INTERNAL, `nvme disconnect ${nqn} failed: ${(e as Error).message}`);
    }
    const deadline = Date.now() + this.o.detachWaitMs;
    while (await this.sysfs.byNqn(nqn)) {
      if (Date.now() > deadline) throw grpcError(status.INTERNAL, `${nqn} still present in sysfs ${this.o.detachWaitMs} ms after disconnect`);
      await sleep(this.o.pollMs);
    }
  }

  async rescan(nqn: string): Promise<void> {
    const s = await this.sysfs.byNqn(nqn);
    for (const c of s?.controllers ?? []) await this.cli.rescan(c.name);
  }
}
