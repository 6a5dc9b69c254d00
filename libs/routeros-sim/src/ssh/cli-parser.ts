// Turns console tokens into commands: `/menu[/sub] verb [target] [flags] [name=value]… [where expr]`.
// Both `/disk/btrfs/subvolume/add` and `/disk btrfs subvolume add` name the same command.
// `[find …]` substitutions are parsed as nested commands and resolved by the executor.
import { CliSyntaxError, lex, type Token } from './cli-lexer';

export class CliError extends Error {}

export type CmpOp = '=' | '!=' | '~' | '<' | '>' | '<=' | '>=';
export type Value = { kind: 'lit'; text: string } | { kind: 'sub'; cmd: Command };
export type Expr =
  | { kind: 'cmp'; field: string; op: CmpOp; value: Value }
  | { kind: 'flag'; field: string }
  | { kind: 'not'; e: Expr }
  | { kind: 'and' | 'or'; a: Expr; b: Expr };

export interface Command {
  /** Menu path without leading slash; undefined for a relative command inside `[ ]`. */
  menu: string | undefined;
  verb: string;
  /** Column of the verb, for `bad command name` errors. */
  col: number;
  target?: Value;
  args: Array<[string, Value]>;
  flags: string[];
  where?: Expr;
}

/** Words that `print` takes without a value. */
const PRINT_FLAGS = new Set(['detail', 'terse', 'brief', 'without-paging', 'as-value', 'count-only', 'value-list', 'show-ids']);
/** Verbs without an unnamed item argument. */
const NO_TARGET = new Set(['print', 'add', 'find']);
const CMP = new Set(['=', '!=', '~', '<', '>', '<=', '>=']);

const badName = (t: Token) => new CliError(`bad command name ${t.text} (line 1 column ${t.col})`);
const endExpected = (t: Token) => new CliError(`expected end of command (line 1 column ${t.col})`);

class Parser {
  private i = 0;
  constructor(
    private readonly toks: Token[],
    private readonly isMenu: (path: string) => boolean,
    /** True for a menu or a directory above menus (`system` above `system/resource`). */
    private readonly isDir: (path: string) => boolean,
  ) {}

  private peek(): Token | undefined {
    return this.toks[this.i];
  }
  private next(): Token | undefined {
    return this.toks[this.i++];
  }
  private atEnd(): boolean {
    const t = this.peek();
    return !t || t.kind === 'end' || t.kind === 'close';
  }

  commands(): Command[] {
    const out: Command[] = [];
    while (this.peek()) {
      if (this.peek()?.kind === 'end') {
        this.i++;
        continue;
      }
      out.push(this.command(false));
      const t = this.peek();
      if (t && t.kind !== 'end') throw endExpected(t);
    }
    return out;
  }

  private command(nested: boolean): Command {
    const first = this.next();
    if (!first || first.kind !== 'word') throw new CliSyntaxError(first?.col ?? 1);
    let menu: string | undefined;
    let verb: string;
    let col = first.col;
    if (first.text.startsWith('/')) {
      // v7 takes `/disk/btrfs/subvolume/add` and `/disk btrfs subvolume add` alike.
      const words = first.text.split('/').filter(Boolean);
      const fromFirst = words.length;
      for (let j = this.i; this.toks[j]?.kind === 'word' && this.isDir(words.join('/')); j++) words.push(this.toks[j]?.text as string);
      let n = words.length;
      while (n > 0 && !this.isMenu(words.slice(0, n).join('/'))) n--;
      if (n === 0) throw badName({ ...first, text: words[0] ?? first.text });
      menu = words.slice(0, n).join('/');
      const used = Math.min(words.length, n + 1);
      if (used < fromFirst) throw badName({ ...first, text: words[used] as string });
      this.i += Math.max(0, used - fromFirst);
      if (used > fromFirst) col = this.toks[this.i - 1]?.col ?? col;
      if (n < words.length) verb = words[n] as string;
      else {
        const v = this.next();
        if (!v || v.kind !== 'word') throw new CliError(`expected command name (line 1 column ${v?.col ?? first.col})`);
        verb = v.text;
        col = v.col;
      }
    } else if (nested) {
      verb = first.text;
    } else {
      throw badName(first);
    }
    const cmd: Command = { menu, verb, col, args: [], flags: [] };
    while (!this.atEnd()) {
      const t = this.peek() as Token;
      const after = this.toks[this.i + 1];
      if (t.kind === 'word' && after?.kind === 'op' && after.text === '=' && after.col === t.col + t.text.length) {
        this.i += 2;
        const v = this.peek();
        const value = v && v.col === after.col + 1 && !this.atEnd() ? this.value() : { kind: 'lit' as const, text: '' };
        if (verb === 'find') cmd.where = and(cmd.where, { kind: 'cmp', field: t.text, op: '=', value });
        else cmd.args.push([t.text, value]);
      } else if (t.kind === 'word' && t.text === 'where') {
        this.i++;
        cmd.where = and(cmd.where, this.expr());
      } else if (t.kind === 'word' && verb === 'print' && PRINT_FLAGS.has(t.text)) {
        this.i++;
        cmd.flags.push(t.text);
      } else if (cmd.target === undefined && cmd.args.length === 0 && !NO_TARGET.has(verb) && (t.kind === 'word' || t.kind === 'str' || t.kind === 'open')) {
        cmd.target = this.value();
      } else {
        throw endExpected(t);
      }
    }
    return cmd;
  }

  private value(): Value {
    const t = this.next();
    if (!t) throw new CliSyntaxError(1);
    if (t.kind === 'word' || t.kind === 'str') return { kind: 'lit', text: t.text };
    if (t.kind === 'open') {
      const cmd = this.command(true);
      const c = this.next();
      if (!c || c.kind !== 'close') throw new CliSyntaxError(c?.col ?? t.col);
      return { kind: 'sub', cmd };
    }
    throw new CliSyntaxError(t.col);
  }

  private expr(): Expr {
    let e = this.conj();
    while (this.isWord('or') || this.isOp('||')) {
      this.i++;
      e = { kind: 'or', a: e, b: this.conj() };
    }
    return e;
  }

  private conj(): Expr {
    let e = this.unary();
    for (;;) {
      if (this.isWord('and') || this.isOp('&&')) this.i++;
      else if (this.atEnd() || this.isWord('or') || this.isOp('||') || this.isOp(')')) break;
      e = { kind: 'and', a: e, b: this.unary() };
    }
    return e;
  }

  private unary(): Expr {
    if (this.isWord('not') || this.isOp('!')) {
      this.i++;
      return { kind: 'not', e: this.unary() };
    }
    if (this.isOp('(')) {
      this.i++;
      const e = this.expr();
      if (!this.isOp(')')) throw new CliSyntaxError(this.peek()?.col ?? 1);
      this.i++;
      return e;
    }
    const f = this.next();
    if (!f || f.kind !== 'word') throw new CliSyntaxError(f?.col ?? 1);
    const op = this.peek();
    if (op?.kind === 'op' && CMP.has(op.text)) {
      this.i++;
      return { kind: 'cmp', field: f.text, op: op.text as CmpOp, value: this.value() };
    }
    return { kind: 'flag', field: f.text };
  }

  private isWord(w: string): boolean {
    const t = this.peek();
    return t?.kind === 'word' && t.text === w;
  }
  private isOp(o: string): boolean {
    const t = this.peek();
    return t?.kind === 'op' && t.text === o;
  }
}

const and = (a: Expr | undefined, b: Expr): Expr => (a ? { kind: 'and', a, b } : b);

/** Parses a console line into commands; throws CliError/CliSyntaxError with RouterOS text. */
export function parseCli(line: string, menus: readonly string[]): Command[] {
  const set = new Set(menus);
  const isDir = (p: string) => set.has(p) || menus.some((m) => m.startsWith(`${p}/`));
  return new Parser(lex(line), (p) => set.has(p), isDir).commands();
}
