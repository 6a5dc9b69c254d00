import { describe, expect, it } from 'vitest';
import { backoffDelay, emptyHistory, KUBELET_BACKOFF, maybeReset, onFailure, onRestart, type BackoffPolicy } from '../src/backoff';

describe('backoff', () => {
  it('doubles from 10 s up to 5 min like the kubelet', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 40].map((n) => backoffDelay(KUBELET_BACKOFF, n));
    expect(delays).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it('gives up after maxRestarts restarts within the window and forgets old ones', () => {
    const p: BackoffPolicy = { initialMs: 100, maxMs: 1000, resetAfterMs: 5000, windowMs: 10_000 };
    const h = emptyHistory();
    const seen: number[] = [];
    let t = 0;
    for (;;) {
      const d = onFailure(h, p, 3, t);
      if (d.kind === 'give-up') {
        expect(d.restartsInWindow).toBe(3);
        break;
      }
      seen.push(d.delayMs);
      t += d.delayMs;
      onRestart(h, t);
    }
    expect(seen).toEqual([100, 200, 400]);
    expect(h.total).toBe(3);
    // Outside the window the old restarts no longer count.
    expect(onFailure(h, p, 3, t + 20_000).kind).toBe('restart');
  });

  it('starts the delay over after a clean run', () => {
    const p: BackoffPolicy = { initialMs: 100, maxMs: 1000, resetAfterMs: 5000, windowMs: 10_000 };
    const h = emptyHistory();
    onFailure(h, p, 5, 0);
    onFailure(h, p, 5, 0);
    expect(h.consecutive).toBe(2);
    expect(maybeReset(h, p, 1000, 3000)).toBe(false);
    expect(maybeReset(h, p, 1000, 6000)).toBe(true);
    expect(onFailure(h, p, 5, 7000)).toEqual({ kind: 'restart', delayMs: 100 });
  });
});
