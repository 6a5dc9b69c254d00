// One operation per volume at a time. A second concurrent call for the same volume gets
// ABORTED at once (CSI spec "Operation pending for volume"), and the CO retries it later.
import { grpcError, status } from '@mikrotik-kube/grpc-kit';

export class VolumeLocks {
  private readonly held = new Map<string, string>();

  async with<T>(volumeId: string, op: string, fn: () => Promise<T>): Promise<T> {
    const busy = this.held.get(volumeId);
    if (busy) throw grpcError(status.ABORTED, `an operation (${busy}) is already in progress for volume ${volumeId}`);
    this.held.set(volumeId, op);
    try {
      return await fn();
    } finally {
      this.held.delete(volumeId);
    }
  }

  /** Like `with`, but skips (returns undefined) instead of failing when the volume is busy. */
  async ifFree<T>(volumeId: string, op: string, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.held.has(volumeId)) return undefined;
    return this.with(volumeId, op, fn);
  }
}
