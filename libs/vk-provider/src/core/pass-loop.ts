// Reconcile passes on demand: a pass runs on start, on trigger (coalesced: a
// trigger during a pass means exactly one more pass after it), on the resync
// timer (which also collects ipam and volume garbage) and, after a failure,
// again with growing backoff (1 s doubling up to the resync period). Passes
// never overlap. Used by both the pods file (standalone) and the API server
// (cluster) sources.
import { backoffMs, every, type Every, type Logger } from '@mikrotik-kube/service-kit';

/** One pass; `failed` asks for a retry with backoff. */
export type Pass = (reason: string, collectGarbage: boolean) => Promise<{ failed: boolean }>;

export class PassLoop {
  private running = false;
  private again = false;
  private againGc = false;
  private resync: Every | undefined;
  private retry: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  private idle: Promise<void> = Promise.resolve();
  /** Passes completed without throwing. */
  passes = 0;

  constructor(
    private readonly pass: Pass,
    private readonly resyncMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    // The tick only asks for a pass; trigger() coalesces it with one in flight.
    this.resync = every('resync', this.resyncMs, async () => this.trigger('resync', true), this.logger, { delayFirst: true });
    this.trigger('start', true);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.resync?.stop();
    clearTimeout(this.retry);
    await this.idle;
  }

  trigger(reason: string, collectGarbage = false): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      this.againGc ||= collectGarbage;
      return;
    }
    this.running = true;
    this.idle = this.run(reason, collectGarbage);
  }

  private async run(reason: string, collectGarbage: boolean): Promise<void> {
    let gc = collectGarbage;
    let why = reason;
    for (;;) {
      await this.once(why, gc);
      if (!this.again || this.stopped) break;
      gc = this.againGc;
      why = 'coalesced';
      this.again = false;
      this.againGc = false;
    }
    this.running = false;
  }

  private async once(reason: string, collectGarbage: boolean): Promise<void> {
    try {
      const { failed } = await this.pass(reason, collectGarbage);
      this.passes++;
      this.failures = failed ? this.failures + 1 : 0;
    } catch (e) {
      this.failures++;
      this.logger.warn('reconcile pass failed', { reason, error: (e as Error).message });
    }
    if (this.failures && !this.stopped) {
      const delay = backoffMs(this.failures, { initialMs: 1000, maxMs: this.resyncMs });
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.trigger('retry'), delay);
    }
  }
}
