// The standalone loop: pods file → reconcile passes. A pass runs on start, on a
// file change (debounced), on the resync timer (which also collects ipam and
// volume garbage) and, after a failure, again with growing backoff. Passes
// never overlap; triggers during a pass coalesce into one more pass.
import type { Logger } from '@mikrotik-kube/service-kit';
import type { Reconciler } from '../core/reconciler';
import type { PodFileSource } from './pod-file';

export interface ControllerOptions {
  source: PodFileSource;
  reconciler: Reconciler;
  logger: Logger;
  resyncMs: number;
}

export class StandaloneController {
  private running = false;
  private again = false;
  private againGc = false;
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  private idle: Promise<void> = Promise.resolve();
  /** Passes completed (for tests and the ops metrics). */
  passes = 0;

  constructor(private readonly o: ControllerOptions) {}

  start(): void {
    this.o.source.watch();
    this.timer = setInterval(() => this.trigger('resync', true), this.o.resyncMs);
    this.trigger('start', true);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.retry);
    this.o.source.close();
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
      await this.pass(why, gc);
      if (!this.again || this.stopped) break;
      gc = this.againGc;
      why = 'coalesced';
      this.again = false;
      this.againGc = false;
    }
    this.running = false;
  }

  private async pass(reason: string, collectGarbage: boolean): Promise<void> {
    const { source, reconciler, logger } = this.o;
    const file = await source.load();
    if (source.state.error) logger.error('pods file not loaded; keeping the previous pods', { path: source.state.path, error: source.state.error });
    if (!file) return;
    for (const e of file.errors) logger.warn('pods file entry ignored', { path: source.state.path, error: e });
    const started = Date.now();
    try {
      const r = await reconciler.sync(file.pods, collectGarbage);
      this.passes++;
      const changed = r.created.length + r.recreated.length + r.removed.length;
      if (changed || r.failed.length) logger.info('reconciled', { reason, ms: Date.now() - started, ...r });
      this.failures = r.failed.length ? this.failures + 1 : 0;
    } catch (e) {
      this.failures++;
      logger.warn('reconcile pass failed', { reason, error: (e as Error).message });
    }
    if (this.failures && !this.stopped) {
      const delay = Math.min(1000 * 2 ** (this.failures - 1), this.o.resyncMs);
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.trigger('retry'), delay);
    }
  }
}
