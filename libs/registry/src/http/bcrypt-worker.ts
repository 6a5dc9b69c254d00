// bcrypt checks on a worker thread: bcrypt is slow on purpose, and on the event loop
// a burst of wrong passwords stalls every other client. (bcryptjs's async compare
// does not help: its slices run back to back in one loop turn, I/O waits for all.)
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// Inline CommonJS, so the worker needs no file of its own next to the bundle; it loads
// bcryptjs by the path this module resolves.
const source = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcrypt);
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch {}
  parentPort.postMessage({ id, ok });
});
`;

export class BcryptVerifier {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, (ok: boolean) => void>();

  /** Checks waiting for the worker; callers refuse new ones beyond a bound. */
  get queued(): number {
    return this.pending.size;
  }

  compare(password: string, hash: string): Promise<boolean> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      worker.postMessage({ id, password, hash });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(source, { eval: true, workerData: { bcrypt: createRequire(import.meta.url).resolve('bcryptjs') } });
    worker.unref();
    worker.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      this.pending.get(id)?.(ok);
      this.pending.delete(id);
    });
    // A dead worker fails its checks closed; the next check starts a new one.
    const fail = () => {
      for (const resolve of this.pending.values()) resolve(false);
      this.pending.clear();
      this.worker = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    this.worker = worker;
    return worker;
  }
}
