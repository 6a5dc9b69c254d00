// The first sync from the router, retried with backoff until it succeeds:
// ipam answers nothing (and /readyz stays false) before it knows the router.
import { backoffMs, type Logger } from '@mikrotik-kube/service-kit';
import type { Allocator } from './allocator';

export async function syncUntilDone(allocator: Allocator, logger: Logger, signal: AbortSignal): Promise<void> {
  for (let attempt = 1; !signal.aborted; attempt++) {
    const started = Date.now();
    try {
      const plan = await allocator.sync({ repair: true });
      logger.info('synced from the router', {
        ms: Date.now() - started,
        allocations: plan.allocations.length,
        reservedForeign: plan.reserved.length,
        repairedPorts: plan.missingPorts.length,
        removedDuplicates: plan.duplicates.length,
      });
      return;
    } catch (err) {
      const delay = backoffMs(attempt, { initialMs: 500, maxMs: 10_000 });
      logger.warn('sync from the router failed, retrying', { error: (err as Error).message, retryInMs: delay });
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
