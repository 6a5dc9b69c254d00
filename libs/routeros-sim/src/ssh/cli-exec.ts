// Executes console commands against the simulator's state — the same menus, hooks and
// errors the REST face uses — and renders replies in console formats. Errors are printed
// the way the console prints them (`failure: …`, `no such item`, `syntax error (…)`).
import { RosError } from '../state/errors';
import type { Menu, SimState } from '../state/store';
import type { Row } from '../state/values';
import { CliSyntaxError } from './cli-lexer';
import { CliError, parseCli, type Command, type Expr, type Value } from './cli-parser';
import { SETTINGS_RENDER, viewFor } from './menu-views';
import { printAsValue, printDetail, printSettings, printTable, printTerse } from './print-format';

export interface CliHooks {
  /** Runs before a menu is read or written (e.g. `/file` rescans the disk). */
  beforeAccess?(menu: string): void;
}

export class CliExecutor {
  constructor(
    private readonly state: SimState,
    private readonly hooks: CliHooks = {},
  ) {}

  /** Runs one exec request; returns everything the console would print, CRLF-terminated. */
  execute(line: string): string {
    const out: string[] = [];
    try {
      for (const cmd of parseCli(line, this.state.paths())) out.push(...this.run(cmd));
    } catch (e) {
      out.push(errorText(e));
    }
    return out.map((l) => `${l}\r\n`).join('');
  }

  private menu(cmd: Command, current?: Menu): Menu {
    const m = cmd.menu !== undefined ? this.state.menu(cmd.menu) : current;
    if (!m) throw new CliError(`bad command name ${cmd.verb} (line 1 column ${cmd.col})`);
    this.hooks.beforeAccess?.(m.path);
    return m;
  }

  private run(cmd: Command, current?: Menu): string[] {
    const menu = this.menu(cmd, current);
    switch (cmd.verb) {
      case 'print':
        return this.print(menu, cmd);
      case 'add':
        menu.add(this.args(menu, cmd));
        return [];
      case 'set': {
        const args = this.args(menu, cmd);
        const ids = menu.spec.singleton ? [''] : this.targets(menu, cmd);
        for (const id of ids) menu.set(id, args);
        return [];
      }
      case 'remove':
        for (const id of this.targets(menu, cmd)) menu.remove(id);
        return [];
      default: {
        const fn = menu.spec.commands?.[cmd.verb];
        if (!fn) throw new CliError(`bad command name ${cmd.verb} (line 1 column ${cmd.col})`);
        const args: Record<string, unknown> = this.args(menu, cmd);
        if (cmd.target) args['numbers'] = this.valueText(menu, cmd.target);
        const res = fn(args, this.state.context);
        return Array.isArray(res) ? printTerse(res as Row[], viewFor(menu.path)) : [];
      }
    }
  }

  private print(menu: Menu, cmd: Command): string[] {
    if (menu.spec.singleton) return printSettings(menu.single(), SETTINGS_RENDER[menu.path]);
    const view = viewFor(menu.path);
    const rows = this.select(menu, cmd.where);
    const f = new Set(cmd.flags);
    if (f.has('count-only')) return [String(rows.length)];
    if (f.has('as-value')) return printAsValue(rows);
    if (f.has('terse')) return printTerse(rows, view, f.has('show-ids'));
    if (f.has('detail')) return printDetail(rows, view, f.has('show-ids'));
    return printTable(rows, view);
  }

  private select(menu: Menu, where: Expr | undefined): Row[] {
    const rows = menu.list();
    return where ? rows.filter((r) => this.matches(menu, where, r)) : rows;
  }

  /** Item references: `*ID`, print index, name, comma lists, or `[find …]`. */
  private targets(menu: Menu, cmd: Command): string[] {
    if (!cmd.target) throw new CliError('missing value(s) of argument(s) numbers');
    if (cmd.target.kind === 'sub') return this.find(menu, cmd.target.cmd);
    const rows = menu.rows();
    return cmd.target.text.split(',').map((ref) => {
      const row = /^\d+$/.test(ref) ? rows[Number(ref)] : menu.lookup(ref);
      if (!row) throw new CliError('no such item');
      return row['.id'] as string;
    });
  }

  private find(current: Menu, cmd: Command): string[] {
    const menu = this.menu(cmd, current);
    if (cmd.verb !== 'find') throw new CliError(`bad command name ${cmd.verb} (line 1 column ${cmd.col})`);
    return this.select(menu, cmd.where).map((r) => r['.id'] as string);
  }

  private valueText(menu: Menu, v: Value): string {
    return v.kind === 'lit' ? v.text : this.find(menu, v.cmd).join(',');
  }

  private args(menu: Menu, cmd: Command): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of cmd.args) out[k] = this.valueText(menu, v);
    return out;
  }

  private matches(menu: Menu, e: Expr, row: Row): boolean {
    switch (e.kind) {
      case 'and':
        return this.matches(menu, e.a, row) && this.matches(menu, e.b, row);
      case 'or':
        return this.matches(menu, e.a, row) || this.matches(menu, e.b, row);
      case 'not':
        return !this.matches(menu, e.e, row);
      case 'flag': {
        const flag = viewFor(menu.path).flags.find((f) => f.name.toLowerCase() === e.field);
        return flag ? flag.on(row) : row[e.field] === 'true';
      }
      case 'cmp':
        return compare(row[e.field], e.op, this.valueText(menu, e.value));
    }
  }
}

const BOOL: Record<string, string> = { yes: 'true', no: 'false', true: 'true', false: 'false' };

function compare(actual: string | undefined, op: string, expected: string): boolean {
  const a = actual ?? '';
  const eq = a === expected || (BOOL[a] !== undefined && BOOL[a] === BOOL[expected]);
  switch (op) {
    case '=':
      return actual !== undefined && eq;
    case '!=':
      return !eq;
    case '~': {
      let re: RegExp;
      try {
        re = new RegExp(expected);
      } catch {
        throw new CliError('failure: invalid regular expression');
      }
      return actual !== undefined && re.test(a);
    }
    default: {
      const x = Number(a);
      const y = Number(expected);
      if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
      return op === '<' ? x < y : op === '>' ? x > y : op === '<=' ? x <= y : x >= y;
    }
  }
}

function errorText(e: unknown): string {
  if (e instanceof RosError) return e.detail ?? (e.status === 404 ? 'no such item' : 'failure: error');
  if (e instanceof CliError || e instanceof CliSyntaxError) return e.message;
  return `failure: ${(e as Error).message}`;
}
