// RouterOS serves the REST requests of one user one at a time, in arrival order, and cuts a
// request off after 60 s with `Session closed` — failing the ones queued behind it too
// (docs/routeros.md "REST API"). Different users run in parallel.
import { badRequest } from '../state/errors';

interface Job<T> {
  run: () => Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

export class UserQueues {
  private readonly queues = new Map<string, { busy: boolean; jobs: Array<Job<unknown>> }>();

  constructor(private readonly limitMs: number) {}

  run<T>(user: string, fn: () => Promise<T>): Promise<T> {
    let q = this.queues.get(user);
    if (!q) this.queues.set(user, (q = { busy: false, jobs: [] }));
    const queue = q;
    return new Promise<T>((resolve, reject) => {
      queue.jobs.push({ run: fn, resolve, reject } as Job<unknown>);
      this.pump(user);
    });
  }

  private pump(user: string): void {
    const q = this.queues.get(user);
    if (!q || q.busy) return;
    const job = q.jobs.shift();
    if (!job) {
      this.queues.delete(user);
      return;
    }
    q.busy = true;
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      job.reject(badRequest('Session closed'));
      for (const queued of q.jobs.splice(0)) queued.reject(badRequest('Session closed'));
    }, this.limitMs);
    // The work goes on after a cut-off, like on the router; the next job waits for it.
    job
      .run()
      .then(
        (v) => !settled && job.resolve(v),
        (e) => !settled && job.reject(e),
      )
      .finally(() => {
        clearTimeout(timer);
        q.busy = false;
        this.pump(user);
      });
  }
}
