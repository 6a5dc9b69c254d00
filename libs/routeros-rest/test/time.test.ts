// RouterOS time strings → Dates (router-local wall clock read in this process's zone).
import { describe, expect, it } from 'vitest';
import { parseRosTime } from '../src/index';

describe('parseRosTime', () => {
  const now = new Date(2026, 2, 14, 12, 0, 0);

  it('reads the 7.x form, the month forms and a bare time of today', () => {
    expect(parseRosTime('2026-01-31 23:59:58', now)).toEqual(new Date(2026, 0, 31, 23, 59, 58));
    expect(parseRosTime('jan/31/2025 01:02:03', now)).toEqual(new Date(2025, 0, 31, 1, 2, 3));
    expect(parseRosTime('Feb/02 10:00:00', now)).toEqual(new Date(2026, 1, 2, 10, 0, 0));
    expect(parseRosTime('07:08:09', now)).toEqual(new Date(2026, 2, 14, 7, 8, 9));
  });

  it('refuses what is not a time instead of rolling it over', () => {
    for (const bad of ['', 'yesterday', '2026-02-30 10:00:00', '2026-01-01 24:00:00', 'foo/01 10:00:00', '10:61:00', '2026-01-01']) {
      expect(parseRosTime(bad, now)).toBeUndefined();
    }
  });
});
