// The GC policy on its own (no I/O): what LRU by size, age and keep-last-N drops.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planGc, type GcPolicy } from '../src/gc';
import type { CacheEntry } from '../src/image-cache';

const entry = (i: number, size: number, lastUsedAt: number): CacheEntry => ({
  image: `img${i}`,
  manifestDigest: `sha256:${i.toString(16).padStart(64, '0')}`,
  configDigest: '',
  arch: 'arm64',
  file: `${i}.tar`,
  size,
  routerFile: `disk1/${i}.tar`,
  createdAt: 0,
  lastUsedAt,
});

const entries = fc.array(fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 1_000_000 })), { maxLength: 30 }).map((xs) => xs.map(([size, t], i) => entry(i, size, t)));
const policy = fc.record<GcPolicy>({
  maxBytes: fc.integer({ min: 0, max: 20_000 }),
  maxAgeMs: fc.integer({ min: 0, max: 1_000_000 }),
  keepLastN: fc.integer({ min: 0, max: 10 }),
  strayGraceMs: fc.constant(0),
});

describe('planGc', () => {
  it('never drops the keepLastN most recently used', () => {
    fc.assert(
      fc.property(entries, policy, (es, p) => {
        const protectedSet = new Set([...es].sort((a, b) => b.lastUsedAt - a.lastUsedAt).slice(0, p.keepLastN));
        for (const d of planGc(es, p, 1_000_000)) expect(protectedSet.has(d)).toBe(false);
      }),
    );
  });

  it('gets under maxBytes unless only protected entries remain', () => {
    fc.assert(
      fc.property(entries, policy, (es, p) => {
        const dropped = new Set(planGc(es, p, 1_000_000));
        const kept = es.filter((e) => !dropped.has(e));
        const total = kept.reduce((n, e) => n + e.size, 0);
        if (p.maxBytes > 0 && total > p.maxBytes) expect(kept.length).toBeLessThanOrEqual(p.keepLastN);
      }),
    );
  });

  it('drops by size least recently used first, and by age only past maxAge', () => {
    const es = [entry(1, 100, 10), entry(2, 100, 30), entry(3, 100, 20), entry(4, 100, 40)];
    expect(planGc(es, { maxBytes: 250, maxAgeMs: 0, keepLastN: 1, strayGraceMs: 0 }, 50).map((e) => e.image)).toEqual(['img1', 'img3']);
    expect(planGc(es, { maxBytes: 0, maxAgeMs: 25, keepLastN: 0, strayGraceMs: 0 }, 50).map((e) => e.image)).toEqual(['img1', 'img3']);
    expect(planGc(es, { maxBytes: 0, maxAgeMs: 25, keepLastN: 4, strayGraceMs: 0 }, 50)).toEqual([]);
    expect(planGc(es, { maxBytes: 0, maxAgeMs: 0, keepLastN: 0, strayGraceMs: 0 }, 50)).toEqual([]);
  });
});
