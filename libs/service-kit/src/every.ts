// A periodic task: run, wait, run again — never two at once — until stopped.
// stop() waits for a run in flight so shutdown does not cut a write in half.
import type { Logger } from './logger';

export interface Every {
  stop(): Promise<void>;
  /** Run now instead of at the next tick. */
  kick(): void;
}

export function every(name: string, periodMs: () => number, task: () => Promise<void>, logger: Logger): Every {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const tick = (): void => {
    timer = undefined;
    if (stopped || running) return;
    running = task()
      .catch((err: unknown) => {
        logger.warn(`${name} failed`, { error: err instanceof Error ? err.message : String(err) });
      })
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, periodMs());
      });
  };
  setImmediate(tick);
  return {
    kick() {
      if (timer) clearTimeout(timer);
      if (!running) tick();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
