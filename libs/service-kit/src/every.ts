// A periodic task: run, wait, run again — never two at once — until stopped.
// stop() waits for a run in flight so shutdown does not cut a write in half:
// register it as a shutdown step.
import type { Logger } from './logger';

export interface Every {
  stop(): Promise<void>;
  /** Run now instead of at the next tick. */
  kick(): void;
}

export interface EveryOptions {
  /** Wait one period before the first run (default: the first run starts at once). */
  delayFirst?: boolean;
}

/** A failed run is logged as `<name> failed` and the next one runs a period later. */
export function every(name: string, periodMs: number | (() => number), task: () => Promise<unknown>, logger: Logger, opts: EveryOptions = {}): Every {
  const period = typeof periodMs === 'number' ? () => periodMs : periodMs;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  // A pending tick never keeps the process alive; its servers do.
  const schedule = (): void => {
    timer = setTimeout(tick, period());
    timer.unref();
  };
  const tick = (): void => {
    timer = undefined;
    if (stopped || running) return;
    running = task()
      .then(() => undefined)
      .catch((err: unknown) => {
        logger.warn(`${name} failed`, { error: err instanceof Error ? err.message : String(err) });
      })
      .finally(() => {
        running = undefined;
        if (!stopped) schedule();
      });
  };
  if (opts.delayFirst) schedule();
  else setImmediate(tick);
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
