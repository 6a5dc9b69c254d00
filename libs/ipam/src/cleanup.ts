// Veths of failed claims that could not be removed at once (the router was
// unreachable): retried in the background until they are gone, so an outage
// leaves nothing half-made behind once the router answers again.
import { every, type Every, type Logger } from '@mikrotik-kube/service-kit';

export class Cleanup {
  private readonly pending = new Map<string, string>();
  private loop: Every | undefined;

  constructor(
    /** Removes the veth `name` if it still carries `comment` and nobody adopted it. */
    private readonly remove: (name: string, comment: string) => Promise<void>,
    private readonly logger: Logger,
    private readonly intervalMs = 1000,
  ) {}

  add(name: string, comment: string): void {
    this.pending.set(name, comment);
    this.logger.warn('veth of a failed claim queued for removal', { veth: name });
  }

  get size(): number {
    return this.pending.size;
  }

  start(): void {
    this.loop ??= every('veth cleanup', this.intervalMs, () => this.runOnce(), this.logger, { delayFirst: true });
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
    this.loop = undefined;
  }

  /** One pass over the queue; entries that fail again stay queued. */
  private async runOnce(): Promise<void> {
    for (const [name, comment] of [...this.pending]) {
      try {
        await this.remove(name, comment);
        this.pending.delete(name);
        this.logger.info('removed veth of a failed claim', { veth: name });
      } catch {
        return; // still unreachable: try again on the next tick
      }
    }
  }
}
