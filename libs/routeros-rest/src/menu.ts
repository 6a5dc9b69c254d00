// Generic access to any RouterOS menu with the router's verb mapping: GET=print,
// PUT=add (returns the object), PATCH=set, DELETE=remove, POST=command.
import { RouterOsError } from './errors';
import { encodePath, type CallOptions, type Transport } from './transport';

/** A row as RouterOS returns it: every value a string, `.id` as `*HEX`. */
export type RosRecord = Record<string, string>;
/** Values we send: RouterOS accepts strings, numbers and booleans. */
export type RosArgs = Record<string, string | number | boolean | undefined>;

export interface PrintOptions {
  proplist?: string[];
  /** API query words (`name=x`, `-comment`, `#|`), evaluated by the router. */
  query?: string[];
}

function clean(args: RosArgs): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(args)) if (v !== undefined) out[k] = v;
  return out;
}

function asRecord(v: unknown, method: string, path: string): RosRecord {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new RouterOsError({ kind: 'protocol', method, path, detail: 'expected an object' });
  }
  return v as RosRecord;
}

function asList(v: unknown, method: string, path: string): RosRecord[] {
  if (!Array.isArray(v)) throw new RouterOsError({ kind: 'protocol', method, path, detail: 'expected an array' });
  return v.map((r) => asRecord(r, method, path));
}

export class MenuApi {
  constructor(
    private readonly t: Transport,
    readonly path: string,
  ) {
    encodePath(path);
  }

  /** All rows, optionally filtered by exact `field=value` matches (done by the router). */
  async list(filter: Record<string, string> = {}, opts?: CallOptions & { proplist?: string[] }): Promise<RosRecord[]> {
    const q = new URLSearchParams(filter);
    if (opts?.proplist) q.set('.proplist', opts.proplist.join(','));
    // Commas stay literal: `.proplist=a,b` as the router documents it.
    const qs = q.toString().replace(/%2C/gi, ',');
    const path = encodePath(this.path) + (qs ? `?${qs}` : '');
    return asList(await this.t.request('GET', path, undefined, opts), 'GET', path);
  }

  /** One row by `*ID` or name; throws `not-found`. */
  async get(ref: string, opts?: CallOptions): Promise<RosRecord> {
    const path = encodePath(this.path, ref);
    return asRecord(await this.t.request('GET', path, undefined, opts), 'GET', path);
  }

  /** One row, or undefined when the router says 404. */
  async find(ref: string, opts?: CallOptions): Promise<RosRecord | undefined> {
    try {
      return await this.get(ref, opts);
    } catch (e) {
      if (e instanceof RouterOsError && e.kind === 'not-found') return undefined;
      throw e;
    }
  }

  /** A singleton menu's object (`/system/resource`, `/container/config`). */
  async getSingleton(opts?: CallOptions): Promise<RosRecord> {
    const path = encodePath(this.path);
    const v = await this.t.request('GET', path, undefined, opts);
    // Very early 7.x wrapped singletons in an array.
    return asRecord(Array.isArray(v) ? v[0] : v, 'GET', path);
  }

  /** PUT: adds one row and returns it as stored. */
  async add(args: RosArgs, opts?: CallOptions): Promise<RosRecord> {
    const path = encodePath(this.path);
    const v = await this.t.request('PUT', path, clean(args), opts);
    // Some builds answer PUT like POST add ({"ret":"*ID"}); fetch the row then.
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as RosRecord)['ret'] === 'string') {
      return this.get((v as RosRecord)['ret'] as string, opts);
    }
    return asRecord(v, 'PUT', path);
  }

  /** PATCH: sets fields on a row and returns the row. */
  async set(ref: string, args: RosArgs, opts?: CallOptions): Promise<RosRecord> {
    const path = encodePath(this.path, ref);
    const v = await this.t.request('PATCH', path, clean(args), opts);
    return v === undefined ? this.get(ref, opts) : asRecord(v, 'PATCH', path);
  }

  /** `POST …/set` for singleton menus (PATCH does not work on them). */
  async setSingleton(args: RosArgs, opts?: CallOptions): Promise<void> {
    await this.command('set', args, opts);
  }

  /** DELETE by id or name. By id it is retried, and a 404 on the retry counts as done. */
  async remove(ref: string, opts?: CallOptions): Promise<void> {
    await this.t.request('DELETE', encodePath(this.path, ref), undefined, opts);
  }

  /** POST `<menu>/<command>`; returns the reply as the router sent it. */
  async command(name: string, args: RosArgs = {}, opts?: CallOptions): Promise<unknown> {
    return this.t.request('POST', `${encodePath(this.path)}/${encodePath(name)}`, clean(args), opts);
  }

  /** POST `…/print` with `.proplist` and `.query`. */
  async print(p: PrintOptions = {}, opts?: CallOptions): Promise<RosRecord[]> {
    const body: Record<string, unknown> = {};
    if (p.proplist) body['.proplist'] = p.proplist.join(',');
    if (p.query) body['.query'] = p.query;
    const path = `${encodePath(this.path)}/print`;
    return asList(await this.t.request('POST', path, body, opts), 'POST', path);
  }
}

/** `"true"`/`"yes"` → true; anything else false. */
export function rosBool(v: string | undefined): boolean {
  return v === 'true' || v === 'yes';
}

/** Splits RouterOS comma lists, dropping empties. */
export function rosList(v: string | undefined): string[] {
  return (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}
