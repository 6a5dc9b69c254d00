// RouterOS value rules (docs/routeros.md "REST API"): every stored and returned value is a
// string; requests may send JSON numbers and booleans; yes/no read back as true/false.
import { invalidValue } from './errors';

export type Row = Record<string, string>;

/** Converts one request value to the router's string form. */
export function toRosString(name: string, value: unknown, boolean: boolean): string {
  let s: string;
  if (typeof value === 'string') s = value;
  else if (typeof value === 'number' && Number.isFinite(value)) s = String(value);
  else if (typeof value === 'boolean') s = value ? 'true' : 'false';
  else throw invalidValue(name);
  if (!boolean) return s;
  const lower = s.toLowerCase();
  if (lower === 'yes' || lower === 'true') return 'true';
  if (lower === 'no' || lower === 'false') return 'false';
  throw invalidValue(name);
}

/** True for `*HEX` ids (`*0`, `*1A`); RouterOS does not decode `%2A`. */
export function isRosId(s: string): boolean {
  return /^\*[0-9A-F]+$/.test(s);
}

export function formatId(n: number): string {
  return `*${n.toString(16).toUpperCase()}`;
}

/** Internal bookkeeping fields start with `_`; they never leave the simulator. */
export function isHiddenField(key: string): boolean {
  return key.startsWith('_');
}

/** `.id` first, then alphabetical — the order observed in replies. */
export function orderRow(row: Row): Row {
  const out: Row = {};
  if (row['.id'] !== undefined) out['.id'] = row['.id'];
  for (const k of Object.keys(row).sort()) {
    if (k !== '.id' && !isHiddenField(k)) out[k] = row[k] as string;
  }
  return out;
}
