// Fault injection, settable at start (CLI flags) and at run time (PUT /_sim/faults).
import { badRequest } from './state/errors';

export interface Faults {
  /** Added to every REST request before it is served (per-user queue included). */
  latencyMs: number;
  /** Share of REST requests answered with 500 (RouterOS internal failure). */
  errorRate: number;
  /** Share of REST requests whose connection is reset before any reply. */
  resetRate: number;
  /** How long a container stays `extracting` after add. */
  extractMs: number;
  /** When > 0, every started container crashes (exits 255) this long after it is running. */
  crashAfterMs: number;
  /** The next N REST requests are carried out, then their connection is reset (lost replies). */
  dropNextReplies: number;
  /** Share of SSH exec commands whose connection is dropped mid-command (after it ran, before its exit status). */
  sshDropRate: number;
  /** 1: every disk allocation fails with `failure: not enough space`. */
  diskFull: number;
}

export const DEFAULT_FAULTS: Faults = { latencyMs: 0, errorRate: 0, resetRate: 0, extractMs: 300, crashAfterMs: 0, dropNextReplies: 0, sshDropRate: 0, diskFull: 0 };

const RATE = new Set(['errorRate', 'resetRate', 'sshDropRate', 'diskFull']);

/** Applies a partial update, refusing unknown keys and out-of-range values. */
export function updateFaults(faults: Faults, patch: Record<string, unknown>): void {
  const next = { ...faults };
  for (const [k, v] of Object.entries(patch)) {
    if (!(k in faults)) throw badRequest(`unknown fault ${k}`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (RATE.has(k) && v > 1)) throw badRequest(`invalid value for fault ${k}`);
    next[k as keyof Faults] = v;
  }
  Object.assign(faults, next);
}
