// The background reconcilers as one unit of work that starts and stops with leadership: with
// several replicas only the holder of the reconcile Lease runs them, or two would act on the
// same disks at once (each deleting one orphan, each rewriting one disk comment).
import { type Every, every, type Logger } from '@mikrotik-kube/service-kit';

/** One Lease per driver, named like the sidecars' (external-attacher-leader-<driver>). */
export function reconcileLeaseName(driverName: string): string {
  return `csi-reconcilers-${driverName.replaceAll('.', '-')}`;
}

export interface ReconcileLoop {
  name: string;
  intervalSeconds: number;
  run(): Promise<unknown>;
}

export class ReconcileLoops {
  private running: Every[] = [];

  constructor(
    private readonly loops: ReconcileLoop[],
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.running.length) return;
    this.running = this.loops.map((l) => every(l.name, () => l.intervalSeconds * 1000, () => l.run(), this.logger));
    this.logger.info('reconcilers started', { reconcilers: this.loops.map((l) => l.name) });
  }

  /** Waits for runs in flight, so no write is cut in half when leadership moves. */
  async stop(): Promise<void> {
    const running = this.running;
    this.running = [];
    await Promise.all(running.map((e) => e.stop()));
    if (running.length) this.logger.info('reconcilers stopped');
  }
}
