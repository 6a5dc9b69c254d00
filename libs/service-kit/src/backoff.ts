// Exponential backoff: the wait before retry `attempt` (1 = the first retry) doubles from
// initialMs up to maxMs; jitter spreads it by ±that fraction so replicas do not retry in step.
export interface Backoff {
  initialMs: number;
  /** Default: no cap. */
  maxMs?: number;
  /** 0.2 = between 80 % and 120 % of the delay. Default 0. */
  jitter?: number;
}

export function backoffMs(attempt: number, b: Backoff): number {
  const ms = Math.min(b.initialMs * 2 ** (attempt - 1), b.maxMs ?? Infinity);
  return b.jitter ? ms * (1 - b.jitter + Math.random() * 2 * b.jitter) : ms;
}
