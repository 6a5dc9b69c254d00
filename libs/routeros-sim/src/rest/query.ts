// GET filters (`?k=v`, exact, ANDed), `.proplist`, and the API query words of
// `POST …/print {".query":[…]}` (docs/routeros.md "REST API").
import { badRequest } from '../state/errors';
import type { Row } from '../state/values';

function boolish(v: string): string {
  if (v === 'yes') return 'true';
  if (v === 'no') return 'false';
  return v;
}

export function matchesFilters(r: Row, filters: Array<[string, string]>): boolean {
  return filters.every(([k, v]) => r[k] !== undefined && (r[k] === v || r[k] === boolish(v)));
}

export function parseProplist(raw: unknown): string[] | undefined {
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) return raw.map(String);
  if (typeof raw === 'string') return raw.split(',').map((s) => s.trim()).filter(Boolean);
  throw badRequest('invalid value for argument .proplist');
}

/** Keeps only `props`; a list reply always keeps `.id`. */
export function project(row: Row, props: string[] | undefined, keepId: boolean): Row {
  if (!props) return row;
  const out: Row = {};
  if (keepId && row['.id'] !== undefined) out['.id'] = row['.id'];
  for (const p of props) if (row[p] !== undefined) out[p] = row[p];
  return out;
}

function compare(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Evaluates API query words against a row: a stack machine starting from `true`s. */
export function matchesQuery(row: Row, words: string[]): boolean {
  const stack: boolean[] = [];
  const pop = () => (stack.length ? (stack.pop() as boolean) : true);
  for (const w of words) {
    if (w.startsWith('#')) {
      for (const op of w.slice(1).match(/\d+|[|&!.]/g) ?? []) {
        if (op === '!') stack.push(!pop());
        else if (op === '|' || op === '&') {
          const b = pop();
          const a = pop();
          stack.push(op === '|' ? a || b : a && b);
        } else if (op === '.') {
          const t = pop();
          stack.push(t, t);
        } else {
          const i = Number(op);
          stack.push(i < stack.length ? (stack[stack.length - 1 - i] as boolean) : true);
        }
      }
      continue;
    }
    const m = /^([<>-]?)([^=<>]+)(?:=(.*))?$/s.exec(w);
    if (!m) throw badRequest(`invalid query word ${w}`);
    const [, op, key = '', value] = m;
    const have = row[key];
    if (op === '-') stack.push(have === undefined);
    else if (value === undefined) stack.push(have !== undefined);
    else if (have === undefined) stack.push(false);
    else if (op === '<') stack.push(compare(have, value) < 0);
    else if (op === '>') stack.push(compare(have, value) > 0);
    else stack.push(have === value || have === boolish(value));
  }
  return stack.every(Boolean);
}

/** RouterOS refuses JSON numbers with exponents (`Failed to parse json`). */
export function hasExponentNumber(json: string): boolean {
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if ((c === 'e' || c === 'E') && /[0-9.]/.test(json[i - 1] ?? '')) return true;
  }
  return false;
}
