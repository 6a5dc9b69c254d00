// RouterOS timestamps as Dates. The router prints local time without a zone; we read it in
// this process's zone, so run us in the router's zone (or both in UTC) for exact instants.

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * Parses `YYYY-MM-DD HH:MM:SS` (7.x), `mmm/dd/yyyy HH:MM:SS`, `mmm/dd HH:MM:SS` (this year) and
 * `HH:MM:SS` (today, relative to `now`); undefined for anything else.
 */
export function parseRosTime(text: string, now = new Date()): Date | undefined {
  const t = text.trim();
  const n = (s: string | undefined) => Number(s ?? NaN);
  let m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(t);
  if (m) return checked(n(m[1]), n(m[2]) - 1, n(m[3]), n(m[4]), n(m[5]), n(m[6]));
  m = /^([a-z]{3})\/(\d{2})(?:\/(\d{4}))? (\d{2}):(\d{2}):(\d{2})$/i.exec(t);
  if (m) {
    const month = MONTHS.indexOf((m[1] ?? '').toLowerCase());
    if (month < 0) return undefined;
    return checked(m[3] ? n(m[3]) : now.getFullYear(), month, n(m[2]), n(m[4]), n(m[5]), n(m[6]));
  }
  m = /^(\d{2}):(\d{2}):(\d{2})$/.exec(t);
  if (m) return checked(now.getFullYear(), now.getMonth(), now.getDate(), n(m[1]), n(m[2]), n(m[3]));
  return undefined;
}

function checked(y: number, mo: number, d: number, h: number, mi: number, s: number): Date | undefined {
  const date = new Date(y, mo, d, h, mi, s);
  // Date rolls 02-30 over into March; a value that does not round-trip is not a time.
  if (date.getFullYear() !== y || date.getMonth() !== mo || date.getDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return date;
}

const DURATION_UNITS: Record<string, number> = { w: 604_800, d: 86_400, h: 3_600, m: 60, s: 1, ms: 0.001 };

/**
 * Seconds in a RouterOS duration: `1w2d3h4m5s` (REST, `uptime`), optionally ending in a clock
 * `1d03:04:05` (older CLI) and `ms`; undefined for anything else.
 */
export function parseRosDuration(text: string): number | undefined {
  const m = /^((?:\d+(?:w|d|h|ms|m|s))*)(?:(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?)?$/.exec(text.trim());
  if (!m || (!m[1] && m[2] === undefined)) return undefined;
  let s = 0;
  for (const [, n, unit] of (m[1] ?? '').matchAll(/(\d+)(w|d|h|ms|m|s)/g)) s += Number(n) * (DURATION_UNITS[unit ?? ''] ?? 0);
  if (m[2] !== undefined) s += Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]) + (m[5] ? Number(`0.${m[5]}`) : 0);
  return s;
}
