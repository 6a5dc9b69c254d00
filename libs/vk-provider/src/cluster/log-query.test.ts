// The kubelet's log query semantics on RouterOS lines (whole-second router times).
import { describe, expect, it } from 'vitest';
import { formatLine, lineOrder, parseLogQuery, rfc3339Nano, selectLines, type LogLine } from './log-query';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const lines: LogLine[] = [
  { id: '*9', time: at(1), message: 'a' },
  { id: '*A', time: undefined, message: 'no time' },
  { id: '*B', time: at(3), message: 'b' },
  { id: '*1F', time: at(5), message: 'c' },
];

describe('log query', () => {
  it('formats times like Go RFC3339Nano in UTC', () => {
    expect(rfc3339Nano(new Date(Date.UTC(2026, 2, 14, 12, 0, 5)))).toBe('2026-03-14T12:00:05Z');
    expect(rfc3339Nano(new Date(Date.UTC(2026, 2, 14, 12, 0, 5, 120)))).toBe('2026-03-14T12:00:05.12Z');
    expect(formatLine({ id: '*1', time: undefined, message: 'x' }, true, at(7))).toBe('2026-01-01T00:00:07Z x\n');
    expect(formatLine({ id: '*1', time: at(0), message: 'x' }, false, at(7))).toBe('x\n');
  });

  it('since compares whole seconds and drops lines without a time; tail counts after since', () => {
    expect(selectLines(lines, {}).map((l) => l.message)).toEqual(['a', 'no time', 'b', 'c']);
    expect(selectLines(lines, { since: new Date(at(3).getTime() + 900) }).map((l) => l.message)).toEqual(['b', 'c']);
    expect(selectLines(lines, { since: at(0), tailLines: 1 }).map((l) => l.message)).toEqual(['c']);
    expect(selectLines(lines, { tailLines: 10 })).toHaveLength(4);
  });

  it('sinceSeconds is relative to now; sinceTime takes offsets; ids order numerically', () => {
    const now = at(100).getTime();
    expect(parseLogQuery(new URLSearchParams('sinceSeconds=10'), now).since).toEqual(at(90));
    expect(parseLogQuery(new URLSearchParams('sinceTime=2026-01-01T01:00:00%2B01:00')).since).toEqual(at(0));
    expect(parseLogQuery(new URLSearchParams('follow=1&timestamps=True&stream=All'))).toMatchObject({ follow: true, timestamps: true });
    expect(lineOrder('*1F')).toBeGreaterThan(lineOrder('*B'));
  });
});
