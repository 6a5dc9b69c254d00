// The simulated router's configuration: menus of string-valued rows with RouterOS semantics
// (`*HEX` ids from per-menu counters, lookup by id or name, uniqueness, typed errors),
// persisted atomically so the router keeps its state across restarts. REST and SSH both call
// this module; see README.md "State API".
import { join } from 'node:path';
import { RosError, badRequest, missingArgument, notFound, unknownParameter } from './errors';
import type { MenuContext, MenuHooks, MenuSpec } from './menu-spec';
import { readJsonSync, writeJsonAtomicSync } from '@mikrotik-kube/atomic-file';
import { formatId, isHiddenField, isRosId, orderRow, toRosString, type Row } from './values';
import type { VersionProfile } from './version';

export type ChangeOp = 'add' | 'set' | 'remove';
export interface ChangeEvent {
  menu: string;
  op: ChangeOp;
  row: Row;
  before?: Row;
}

interface MenuData {
  nextId: number;
  rows: Row[];
}

interface Persisted {
  version: 1;
  menus: Record<string, MenuData>;
}

export class Menu {
  constructor(
    readonly spec: MenuSpec,
    private readonly data: MenuData,
    readonly state: SimState,
  ) {}

  get path(): string {
    return this.spec.path;
  }

  private get ctx(): MenuContext {
    return this.state.context;
  }

  /** Stored rows (internal fields included). Do not mutate; use `update`. */
  rows(): readonly Row[] {
    return this.data.rows;
  }

  /**
   * Rows as replies show them: rendered, `_`-fields dropped, `.id` first; only those `keep`
   * accepts (it sees them without on-demand fields), with the menu's on-demand fields when
   * `props` names one of them.
   */
  list(props?: readonly string[], keep: (shown: Row) => boolean = () => true): Row[] {
    const demand = props !== undefined && (this.spec.onDemand?.fields.some((f) => props.includes(f)) ?? false);
    const out: Row[] = [];
    for (const r of this.data.rows) {
      const shown = this.view(r);
      if (keep(shown)) out.push(demand ? this.view(r, true) : shown);
    }
    return out;
  }

  /** One row as replies show it; `onDemand`: with the menu's on-demand fields. */
  view(row: Row, onDemand = false): Row {
    const shown = this.spec.render ? this.spec.render(row, this.ctx) : row;
    return orderRow(onDemand && this.spec.onDemand ? { ...shown, ...this.spec.onDemand.render(row, this.ctx) } : shown);
  }

  /** Finds a stored row by `*ID` or by name; 404 when absent, 400 for a name in a nameless menu. */
  find(ref: string): Row {
    const row = this.lookup(ref);
    if (!row) throw notFound();
    return row;
  }

  lookup(ref: string): Row | undefined {
    if (this.spec.singleton) return this.data.rows[0];
    if (isRosId(ref)) return this.data.rows.find((r) => r['.id'] === ref);
    if (!this.spec.nameField) throw badRequest('no such command prefix');
    return this.data.rows.find((r) => r[this.spec.nameField as string] === ref);
  }

  get(ref: string): Row {
    return this.view(this.find(ref), true);
  }

  /** The singleton's object. */
  single(): Row {
    const row = this.data.rows[0];
    if (!row) throw notFound();
    // Singletons have no `.id` in replies.
    const { '.id': _id, ...rest } = this.view(row);
    return rest;
  }

  /** Validates and adds a row; returns the stored row. */
  add(input: Record<string, unknown>): Row {
    this.writable();
    if (this.spec.singleton) throw badRequest('no such command');
    const args = this.normalise(input);
    for (const req of this.spec.required?.(this.ctx.profile) ?? []) {
      if (args[req] === undefined || args[req] === '') throw missingArgument(req);
    }
    const base: Row = { ...(this.spec.defaults?.(this.ctx) ?? {}), ...args };
    // Uniqueness first: hooks may have side effects (backing files) that a refusal must not leave.
    this.checkUnique(base, undefined);
    const fromHook = this.hooks()?.validateAdd?.(args, this.ctx) ?? {};
    const candidate: Row = { ...base, ...fromHook };
    this.checkUnique(candidate, undefined);
    const row: Row = { '.id': formatId(this.data.nextId++), ...candidate };
    this.data.rows.push(row);
    this.state.changed({ menu: this.path, op: 'add', row });
    this.hooks()?.afterAdd?.(row, this.ctx);
    return row;
  }

  /** Validates and applies `set`; `ref` is ignored for singletons. */
  set(ref: string, input: Record<string, unknown>): Row {
    this.writable();
    const row = this.find(ref);
    const args = this.normalise(input);
    this.checkUnique({ ...row, ...args }, row['.id']);
    const fromHook = this.hooks()?.validateSet?.(row, args, this.ctx) ?? {};
    const next: Row = { ...row, ...args, ...fromHook };
    this.checkUnique(next, row['.id']);
    const before = { ...row };
    Object.assign(row, next);
    this.state.changed({ menu: this.path, op: 'set', row, before });
    this.hooks()?.afterSet?.(row, before, this.ctx);
    return row;
  }

  remove(ref: string): Row {
    this.writable();
    if (this.spec.singleton) throw badRequest('no such command');
    const row = this.find(ref);
    this.hooks()?.validateRemove?.(row, this.ctx);
    this.data.rows.splice(this.data.rows.indexOf(row), 1);
    this.state.changed({ menu: this.path, op: 'remove', row });
    this.hooks()?.afterRemove?.(row, this.ctx);
    return row;
  }

  /** Internal change by the simulator itself (status, counters): no validation, persisted. */
  update(id: string, fields: Row): Row {
    const row = this.find(id);
    const before = { ...row };
    Object.assign(row, fields);
    this.state.changed({ menu: this.path, op: 'set', row, before });
    return row;
  }

  /** Internal insert (log lines, file scan): no validation; returns the row with its id. */
  insert(fields: Row): Row {
    const row: Row = { '.id': formatId(this.data.nextId++), ...fields };
    this.data.rows.push(row);
    this.state.changed({ menu: this.path, op: 'add', row });
    return row;
  }

  /** Internal delete without hooks. */
  drop(id: string): void {
    const i = this.data.rows.findIndex((r) => r['.id'] === id);
    if (i < 0) return;
    const [row] = this.data.rows.splice(i, 1);
    this.state.changed({ menu: this.path, op: 'remove', row: row as Row });
  }

  private hooks(): MenuHooks | undefined {
    return this.state.hooksFor(this.path);
  }

  private writable(): void {
    if (this.spec.readOnly) throw badRequest('no such command');
  }

  private normalise(input: Record<string, unknown>): Row {
    const allowed = this.spec.args?.(this.ctx.profile);
    const booleans = new Set(this.spec.booleans ?? []);
    const out: Row = {};
    for (const [k, v] of Object.entries(input)) {
      if (k === '.id' || k === 'numbers' || isHiddenField(k)) {
        if (isHiddenField(k)) throw unknownParameter(k);
        continue;
      }
      if (allowed && !allowed.includes(k)) throw unknownParameter(k);
      out[k] = toRosString(k, v, booleans.has(k));
    }
    return out;
  }

  private checkUnique(candidate: Row, selfId: string | undefined): void {
    const fields = [...(this.spec.unique ?? [])];
    const detail = this.spec.duplicateDetail ?? 'failure: already have such entry';
    for (const f of fields) {
      const v = candidate[f];
      if (v === undefined || v === '') continue;
      const peers = f === this.spec.nameField && this.spec.uniqueScope ? this.state.scopeMenus(this.spec.uniqueScope) : [this];
      for (const m of peers) {
        if (m.rows().some((r) => r['.id'] !== selfId && r[f] === v)) throw badRequest(detail);
      }
    }
  }
}

export interface SimStateOptions {
  profile: VersionProfile;
  /** Directory for `state.json`; omitted → in memory only. */
  dataDir?: string;
}

export class SimState {
  private readonly menus = new Map<string, Menu>();
  private readonly extraHooks = new Map<string, MenuHooks>();
  private readonly listeners: Array<(e: ChangeEvent) => void> = [];
  private readonly persisted: Persisted;
  private readonly file: string | undefined;
  private dirty = false;
  private flushScheduled = false;
  readonly context: MenuContext;

  constructor(readonly options: SimStateOptions) {
    this.file = options.dataDir ? join(options.dataDir, 'state.json') : undefined;
    this.persisted = (this.file && readJsonSync<Persisted>(this.file)) || { version: 1, menus: {} };
    this.context = { state: this, profile: options.profile };
  }

  get profile(): VersionProfile {
    return this.options.profile;
  }

  /** Adds a menu; a fresh router gets the spec's initial rows. */
  register(spec: MenuSpec): Menu {
    if (this.menus.has(spec.path)) throw new Error(`menu ${spec.path} registered twice`);
    let data = this.persisted.menus[spec.path];
    if (!data) {
      data = { nextId: 1, rows: [] };
      this.persisted.menus[spec.path] = data;
      const menu = new Menu(spec, data, this);
      this.menus.set(spec.path, menu);
      for (const row of spec.initial?.(this.context) ?? []) menu.insert(row);
      return menu;
    }
    const menu = new Menu(spec, data, this);
    this.menus.set(spec.path, menu);
    return menu;
  }

  /** The menu at `path` (e.g. `interface/veth`), or 400 `no such command or directory`. */
  menu(path: string): Menu {
    const m = this.menus.get(path.replace(/^\/+|\/+$/g, ''));
    if (!m) throw new RosError(400, `no such command or directory (${path.split('/').filter(Boolean).pop() ?? ''})`);
    return m;
  }

  has(path: string): boolean {
    return this.menus.has(path);
  }

  paths(): string[] {
    return [...this.menus.keys()];
  }

  /**
   * Plugs validation into a menu (used by the disk module for file-disk semantics). The spec's
   * own hooks run first for validate*, then these; their returned fields are merged.
   */
  setHooks(path: string, hooks: MenuHooks): void {
    this.menu(path);
    this.extraHooks.set(path, hooks);
  }

  hooksFor(path: string): MenuHooks | undefined {
    const own = this.menus.get(path)?.spec.hooks;
    const extra = this.extraHooks.get(path);
    if (!own || !extra) return own ?? extra;
    return {
      validateAdd: (a, c) => ({ ...(own.validateAdd?.(a, c) ?? {}), ...(extra.validateAdd?.(a, c) ?? {}) }),
      validateSet: (r, a, c) => ({ ...(own.validateSet?.(r, a, c) ?? {}), ...(extra.validateSet?.(r, a, c) ?? {}) }),
      validateRemove: (r, c) => {
        own.validateRemove?.(r, c);
        extra.validateRemove?.(r, c);
      },
      afterAdd: (r, c) => {
        own.afterAdd?.(r, c);
        extra.afterAdd?.(r, c);
      },
      afterSet: (r, b, c) => {
        own.afterSet?.(r, b, c);
        extra.afterSet?.(r, b, c);
      },
      afterRemove: (r, c) => {
        own.afterRemove?.(r, c);
        extra.afterRemove?.(r, c);
      },
    };
  }

  scopeMenus(scope: string): Menu[] {
    return [...this.menus.values()].filter((m) => m.spec.uniqueScope === scope);
  }

  /** Subscribes to every stored change; returns an unsubscribe function. */
  onChange(fn: (e: ChangeEvent) => void): () => void {
    this.listeners.push(fn);
    return () => this.listeners.splice(this.listeners.indexOf(fn), 1);
  }

  /** @internal called by Menu after each stored change. */
  changed(e: ChangeEvent): void {
    this.dirty = true;
    for (const fn of [...this.listeners]) fn(e);
    // Bursts (thousands of rows added in one tick) coalesce into one write; faces call
    // flush() before acknowledging a request, so an answered change is on disk.
    if (!this.flushScheduled && this.file) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  /** Writes the state if it changed (temp + fsync + rename). */
  flush(): void {
    if (!this.dirty || !this.file) return;
    writeJsonAtomicSync(this.file, this.persisted);
    this.dirty = false;
  }
}
