import { describe, expect, it } from 'vitest';
import { backoffMs } from './backoff';

describe('backoffMs', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffMs(a, { initialMs: 500, maxMs: 10_000 }))).toEqual([500, 1000, 2000, 4000, 8000, 10_000]);
    expect(backoffMs(40, { initialMs: 100 })).toBe(100 * 2 ** 39);
  });

  it('spreads a jittered delay within ±jitter of the plain one', () => {
    const seen = Array.from({ length: 200 }, () => backoffMs(3, { initialMs: 100, jitter: 0.2 }));
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(320);
    expect(Math.max(...seen)).toBeLessThanOrEqual(480);
    expect(new Set(seen).size).toBeGreaterThan(1);
  });
});
