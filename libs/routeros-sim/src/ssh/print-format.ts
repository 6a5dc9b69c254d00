// Renders print output the way the console does over a non-interactive SSH session:
// `\r\n` line ends, the `Flags:` legend (also when nothing matches), right-aligned indexes,
// a flag column, `;;;` comments, and `detail` pairs wrapped at 80 columns — a value longer
// than the line is split across lines, as RDS hardware does.
import type { Row } from '../state/values';
import type { MenuView } from './menu-views';

export const WIDTH = 80;

/** Quotes a console string value with RouterOS escapes. */
export function cliQuote(v: string): string {
  let out = '"';
  for (const byte of Buffer.from(v, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (ch === '"' || ch === '\\' || ch === '$') out += '\\' + ch;
    else if (byte >= 0x20 && byte < 0x7f) out += ch;
    else out += '\\' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out + '"';
}

function visibleFields(row: Row, view: MenuView, withIds: boolean): string[] {
  const keys = Object.keys(row).filter((k) => (k !== '.id' || withIds) && !view.hidden?.has(k) && !k.startsWith('_'));
  const rank = (k: string) => (k === '.id' ? -1 : view.order.includes(k) ? view.order.indexOf(k) : view.order.length);
  return keys.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function shown(view: MenuView, key: string, v: string): string {
  return view.render[key]?.(v) ?? v;
}

export function legend(view: MenuView): string[] {
  if (view.flags.length === 0) return [];
  return wrapWords('Flags: ', view.flags.map((f, i) => `${f.letter} - ${f.name}${i < view.flags.length - 1 ? ',' : ''}`), 7);
}

function flagLetters(row: Row, view: MenuView): string {
  return view.flags.filter((f) => f.on(row)).map((f) => f.letter).join('');
}

/** Fills lines with tokens; a token longer than a line is split at the width. */
function wrapWords(first: string, tokens: string[], indent: number): string[] {
  const lines: string[] = [];
  let line = first;
  const pad = ' '.repeat(indent);
  const fresh = () => line.length <= indent || line === first;
  for (let tok of tokens) {
    if (!fresh() && line.length + 1 + tok.length > WIDTH) {
      lines.push(line);
      line = pad;
    }
    if (!fresh()) line += ' ';
    while (line.length + tok.length > WIDTH) {
      const room = WIDTH - line.length;
      lines.push(line + tok.slice(0, room));
      tok = tok.slice(room);
      line = pad;
    }
    line += tok;
  }
  if (line.trim() !== '') lines.push(line);
  return lines;
}

interface Layout {
  indexWidth: number;
  flagWidth: number;
}

function layout(rows: Row[], view: MenuView): Layout {
  // Always a flag column, so continuation lines are indented past any index.
  const flagWidth = Math.max(1, ...rows.map((r) => flagLetters(r, view).length));
  return { indexWidth: Math.max(2, String(Math.max(0, rows.length - 1)).length), flagWidth };
}

function prefix(i: number, row: Row, view: MenuView, l: Layout): string {
  const idx = String(i).padStart(l.indexWidth);
  return `${idx} ${flagLetters(row, view).padEnd(l.flagWidth)} `;
}

export function printDetail(rows: Row[], view: MenuView, withIds = false): string[] {
  const l = layout(rows, view);
  const out = legend(view);
  rows.forEach((row, i) => {
    const pre = prefix(i, row, view, l);
    const pairs = visibleFields(row, view, withIds).map((k) => {
      const v = shown(view, k, row[k] as string);
      return `${k}=${view.quoted.has(k) ? cliQuote(v) : v}`;
    });
    if (row['comment']) {
      out.push(`${pre};;; ${row['comment']}`);
      out.push(...wrapWords(' '.repeat(pre.length), pairs, pre.length));
    } else {
      out.push(...wrapWords(pre, pairs, pre.length));
    }
    out.push('');
  });
  return out;
}

/** One line per row, nothing quoted (7.x terse), comment first. */
export function printTerse(rows: Row[], view: MenuView, withIds = false): string[] {
  const l = layout(rows, view);
  return rows.map((row, i) => {
    const pairs = visibleFields(row, view, withIds).map((k) => `${k}=${shown(view, k, row[k] as string)}`);
    if (row['comment']) pairs.unshift(`comment=${row['comment']}`);
    return prefix(i, row, view, l) + pairs.join(' ');
  });
}

/** The default table view: legend, `Columns:` line, header and padded columns. */
export function printTable(rows: Row[], view: MenuView): string[] {
  const l = layout(rows, view);
  const cols = view.columns.filter((c) => rows.some((r) => r[c] !== undefined));
  const cells = rows.map((r) => cols.map((c) => (r[c] === undefined ? '' : shown(view, c, r[c] as string))));
  const widths = cols.map((c, j) => Math.max(c.length, ...cells.map((row) => (row[j] as string).length)));
  const out = legend(view);
  out.push(`Columns: ${cols.map((c) => c.toUpperCase()).join(', ')}`);
  const head = '#'.padStart(l.indexWidth) + ' '.repeat(l.flagWidth + 2);
  out.push((head + cols.map((c, j) => c.toUpperCase().padEnd(widths[j] as number)).join('  ')).trimEnd());
  rows.forEach((row, i) => {
    if (row['comment']) out.push(`;;; ${row['comment']}`);
    out.push((prefix(i, row, view, l) + (cells[i] as string[]).map((c, j) => c.padEnd(widths[j] as number)).join('  ')).trimEnd());
  });
  return out;
}

/** `as-value` as `:put` renders a list of dicts. */
export function printAsValue(rows: Row[]): string[] {
  const parts = rows.flatMap((r) => Object.entries(r).filter(([k]) => !k.startsWith('_')).map(([k, v]) => `${k}=${v}`));
  return parts.length ? [parts.join(';')] : [];
}

/** Settings menus: `key: value`, keys right-aligned on the colon. */
export function printSettings(row: Row, render: Record<string, (v: string) => string> = {}): string[] {
  const keys = Object.keys(row).filter((k) => k !== '.id' && !k.startsWith('_'));
  const w = Math.max(0, ...keys.map((k) => k.length));
  return keys.map((k) => `${k.padStart(w)}: ${render[k]?.(row[k] as string) ?? row[k]}`);
}

