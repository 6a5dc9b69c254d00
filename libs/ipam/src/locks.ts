// In-process ordering. Across replicas the router is the arbiter; inside one
// replica these keep an owner's requests in order and let a full re-read of
// the router happen while no allocation is half-way.

/** Runs tasks with the same key one after another, in arrival order. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((r) => (done = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      done();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/**
 * Many shared holders or one exclusive holder. A waiting exclusive request
 * blocks new shared ones so a re-sync is not starved by a stream of
 * allocations.
 */
export class SharedGate {
  private shared = 0;
  private exclusive = false;
  private readonly waiting: Array<{ exclusive: boolean; go: () => void }> = [];

  async withShared<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire(false);
    try {
      return await fn();
    } finally {
      this.shared--;
      this.pump();
    }
  }

  async withExclusive<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire(true);
    try {
      return await fn();
    } finally {
      this.exclusive = false;
      this.pump();
    }
  }

  private acquire(exclusive: boolean): Promise<void> {
    return new Promise((go) => {
      this.waiting.push({ exclusive, go });
      this.pump();
    });
  }

  private pump(): void {
    while (this.waiting.length && !this.exclusive) {
      const next = this.waiting[0] as { exclusive: boolean; go: () => void };
      if (next.exclusive) {
        if (this.shared > 0) return;
        this.exclusive = true;
      } else {
        this.shared++;
      }
      this.waiting.shift();
      next.go();
    }
  }
}
