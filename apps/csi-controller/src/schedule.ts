// Runs a job now and then every `ms`, never overlapping itself; returns the stop function.
import type { Logger } from '@mikrotik-kube/service-kit';

export function every(ms: number, job: () => Promise<unknown>, logger: Logger, name: string): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;
  const tick = () => {
    running = job()
      .catch((e: unknown) => logger.warn(`${name} failed`, { error: (e as Error).message }))
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, ms);
      });
  };
  tick();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
