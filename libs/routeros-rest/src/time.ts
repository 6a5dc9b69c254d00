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
