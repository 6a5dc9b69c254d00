// Builds RouterOS command lines from typed parts. Names (menus, verbs, argument and
// field names) must match fixed word patterns; values are either quoted strings or
// tokens produced by the factories below, so no input can add a word to the command.
import { RdsError } from './errors';
import { quote } from './quote';
import { formatSizeArg } from './values';

const MENU = /^(\/[a-z][a-z0-9-]*)+$/;
const WORD = /^[a-z.][a-z0-9-]*$/;

const brand = Symbol('CliValue');
/** One value token. Only `val.*` can make one (the brand is module-private). */
export interface CliValue {
  readonly text: string;
  readonly [brand]: true;
}
const token = (text: string): CliValue => ({ text, [brand]: true });

export const val = {
  str: (s: string) => token(quote(s)),
  int: (n: number) => {
    if (!Number.isSafeInteger(n)) throw new RdsError('invalid-input', `not an integer: ${n}`);
    return token(String(n));
  },
  bool: (b: boolean) => token(b ? 'yes' : 'no'),
  size: (bytes: number) => token(formatSizeArg(bytes)),
  /** `[find where field="value"]` — resolves items by a field. */
  find: (field: string, value: string) => token(`[find where ${word(field)}=${quote(value)}]`),
};

export interface Condition {
  field: string;
  op: '=' | '~';
  value: string;
}

export interface CommandSpec {
  menu: string;
  verb: string;
  /** The unnamed argument (`/disk set <target> …`). */
  target?: CliValue;
  args?: ReadonlyArray<readonly [string, CliValue]>;
  /** Bare keywords after the verb: `detail`, `terse`, `as-value`, `without-paging`. */
  flags?: readonly string[];
  where?: readonly Condition[];
}

function word(w: string): string {
  if (!WORD.test(w)) throw new RdsError('invalid-input', `invalid word ${JSON.stringify(w)}`);
  return w;
}

export function buildCommand(spec: CommandSpec): string {
  if (!MENU.test(spec.menu)) throw new RdsError('invalid-input', `invalid menu ${JSON.stringify(spec.menu)}`);
  const parts = [spec.menu, word(spec.verb)];
  if (spec.target) parts.push(spec.target.text);
  for (const f of spec.flags ?? []) parts.push(word(f));
  for (const [name, v] of spec.args ?? []) parts.push(`${word(name)}=${v.text}`);
  if (spec.where && spec.where.length > 0) {
    parts.push('where', spec.where.map((c) => `${word(c.field)}${c.op}${quote(c.value)}`).join(' and '));
  }
  return parts.join(' ');
}

/** POSIX ERE for "starts with `prefix`", every character escaped. */
export function prefixRegex(prefix: string): string {
  return '^' + prefix.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}
