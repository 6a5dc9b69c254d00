import { describe, expect, it } from 'vitest';
import { formatSnapshotMeta, formatVolumeMeta, nodeKey, parseSnapshotMeta, parseVolumeMeta } from './disk-meta';
import { InFlight } from './inflight';

describe('disk comment metadata', () => {
  it('round-trips volume publish state and source', () => {
    const m = { createdAt: 1_700_000_000_000, block: true, source: { kind: 'snapshot' as const, id: 'snap-x' }, published: [{ node: 'n1', readonly: false }, { node: 'n2', readonly: true }], migration: { since: 1_700_000_100_000, timeoutSeconds: 45 } };
    expect(parseVolumeMeta(formatVolumeMeta(m))).toEqual(m);
  });
  it('reads upstream disks (no comment) as unpublished with unknown age', () => {
    expect(parseVolumeMeta(undefined)).toEqual({ published: [] });
    expect(parseVolumeMeta('some admin note')).toEqual({ published: [] });
  });
  it('hashes node ids that are long or carry separators, stably', () => {
    expect(nodeKey('worker-1')).toBe('worker-1');
    expect(nodeKey('a,b;c')).toMatch(/^h-[0-9a-f]{16}$/);
    expect(nodeKey('x'.repeat(200))).toBe(nodeKey('x'.repeat(200)));
  });
  it('round-trips snapshot metadata', () => {
    expect(parseSnapshotMeta(formatSnapshotMeta({ sourceVolume: 'pvc-1', createdAt: 5000, sourceBytes: 1024 }))).toEqual({ sourceVolume: 'pvc-1', createdAt: 5000, sourceBytes: 1024 });
  });
});

describe('in-flight guard', () => {
  it('answers ABORTED for a second operation on a busy key and frees it afterwards', async () => {
    const f = new InFlight();
    let release = () => undefined as void;
    const first = f.run(['v1'], () => new Promise<void>((r) => (release = r)));
    await expect(f.run(['v2', 'v1'], async () => 1)).rejects.toMatchObject({ code: 10 });
    release();
    await first;
    await expect(f.run(['v1'], async () => 2)).resolves.toBe(2);
    expect(f.size).toBe(0);
  });
});
