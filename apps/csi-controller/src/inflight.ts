// At most one operation per volume (or snapshot) at a time. A second call for a key that is
// busy gets ABORTED right away (CSI spec §Concurrency): the sidecars retry it later, and a
// blocked queue could otherwise pile up behind a slow SSH command.
import { grpcError, status } from '@mikrotik-kube/grpc-kit';

export class InFlight {
  private readonly busy = new Set<string>();

  async run<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys)];
    const held = unique.find((k) => this.busy.has(k));
    if (held !== undefined) throw grpcError(status.ABORTED, `an operation for ${held} is already in progress`);
    for (const k of unique) this.busy.add(k);
    try {
      return await fn();
    } finally {
      for (const k of unique) this.busy.delete(k);
    }
  }

  get size(): number {
    return this.busy.size;
  }
}
