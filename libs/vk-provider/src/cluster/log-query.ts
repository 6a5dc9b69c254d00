// The kubelet's /containerLogs query (tailLines, sinceSeconds | sinceTime, timestamps,
// limitBytes, follow, previous) parsed strictly, and applied to the lines RouterOS keeps.
import type { ContainerLogLine } from '@mikrotik-kube/routeros-rest';

export type LogLine = ContainerLogLine;

export interface LogQuery {
  tailLines?: number;
  /** Lines older than this are left out (from sinceSeconds or sinceTime). */
  since?: Date;
  timestamps: boolean;
  limitBytes?: number;
  follow: boolean;
}

/** A query the kubelet would refuse: 400 with this message. */
export class LogQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogQueryError';
  }
}

// Go's strconv.ParseBool, which the kubelet's query decoder uses.
const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

function bool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null) return false;
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new LogQueryError(`${name}: ${JSON.stringify(v)} is not a boolean`);
}

function int(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^-?\d{1,15}$/.test(v) || Number(v) < min) throw new LogQueryError(`${name}: ${JSON.stringify(v)} must be an integer >= ${min}`);
  return Number(v);
}

// RFC 3339 as Go's time.Parse(time.RFC3339) takes it: a zone is required, fraction optional.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

export function parseLogQuery(q: URLSearchParams, now = Date.now()): LogQuery {
  // Unknown parameters are ignored, as the kubelet's parameter decoder does (newer API servers add some).
  if (bool(q, 'previous')) throw new LogQueryError('previous logs are not kept by RouterOS');
  const sinceSeconds = int(q, 'sinceSeconds', 1);
  const sinceTime = q.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime !== null) throw new LogQueryError('sinceSeconds: at most one of sinceSeconds and sinceTime may be set');
  let since: Date | undefined;
  if (sinceSeconds !== undefined) since = new Date(now - sinceSeconds * 1000);
  if (sinceTime !== null) {
    since = RFC3339.test(sinceTime) ? new Date(sinceTime) : undefined;
    if (!since || Number.isNaN(since.getTime())) throw new LogQueryError(`sinceTime: ${JSON.stringify(sinceTime)} is not an RFC 3339 time`);
  }
  return { tailLines: int(q, 'tailLines', 0), since, timestamps: bool(q, 'timestamps'), limitBytes: int(q, 'limitBytes', 1), follow: bool(q, 'follow') };
}

/** Lines at or after `since` (RouterOS times are whole seconds, so compare by second), then the last `tailLines`. */
export function selectLines(lines: readonly LogLine[], q: Pick<LogQuery, 'since' | 'tailLines'>): LogLine[] {
  const sinceSec = q.since ? Math.floor(q.since.getTime() / 1000) : undefined;
  const kept = sinceSec === undefined ? [...lines] : lines.filter((l) => l.time !== undefined && Math.floor(l.time.getTime() / 1000) >= sinceSec);
  return q.tailLines === undefined ? kept : kept.slice(Math.max(0, kept.length - q.tailLines));
}

/** Go's RFC3339Nano in UTC: `2026-03-14T12:00:05Z`, fraction only when non-zero. */
export function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

/** One line as the kubelet writes it; a line without a router time is stamped `fallback`. */
export function formatLine(l: LogLine, timestamps: boolean, fallback: Date): string {
  return timestamps ? `${rfc3339Nano(l.time ?? fallback)} ${l.message}\n` : `${l.message}\n`;
}

/** `*1F` → 31: RouterOS ids grow with every new line, so a follower polls past the last one. */
export function lineOrder(id: string): number {
  const n = parseInt(id.replace(/^\*/, ''), 16);
  return Number.isNaN(n) ? -1 : n;
}
