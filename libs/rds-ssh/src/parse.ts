// Parsers for RouterOS CLI print output as it arrives over SSH exec: `\r\n` line ends,
// a `Flags:` legend (printed even when no row matches), right-aligned row indexes,
// flag letters, `;;; comment` lines, `key=value` pairs with quoted strings, and
// continuation lines — including values hard-split at the terminal width.

export interface PrintRecord {
  index: number;
  /** Flag names from the legend (e.g. "mounted"); the bare letter when the legend lacks it. */
  flags: string[];
  comment?: string;
  props: Record<string, string>;
}

const KEY_AT = /[a-z.][a-zA-Z0-9.-]*=/y;
const NEXT_KEY = / [a-z.][a-zA-Z0-9.-]*=/g;
// Index column: at most 3 leading spaces, so wrapped numbers (indented to the key column) never match.
const ROW_START = /^( {0,3})(\d+)(?=\s|$)(.*)$/;
const LEGEND_ITEM = /(?:^|[\s,;:])([A-Za-z*]) - ([A-Za-z0-9-]+)/g;

function lines(out: string): string[] {
  return out.replace(/\r\n?/g, '\n').split('\n');
}

/** Decodes a RouterOS double-quoted string body starting after the opening quote. */
function readQuoted(text: string, start: number): { value: string; end: number; closed: boolean } {
  const bytes: number[] = [];
  const named: Record<string, string> = { n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', f: '\f', v: '\v', _: ' ' };
  let i = start;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '"') return { value: Buffer.from(bytes).toString('utf8'), end: i + 1, closed: true };
    if (ch === '\\' && i + 1 < text.length) {
      const hex = /^[0-9A-F]{2}/.exec(text.slice(i + 1, i + 3));
      const next = text[i + 1] as string;
      if (hex) {
        bytes.push(parseInt(hex[0], 16));
        i += 3;
      } else {
        bytes.push(...Buffer.from(named[next] ?? next, 'utf8'));
        i += 2;
      }
      continue;
    }
    bytes.push(...Buffer.from(ch, 'utf8'));
    i += 1;
  }
  return { value: Buffer.from(bytes).toString('utf8'), end: i, closed: false };
}

/**
 * Splits `a=1 b="x y" size=53 687 091 200 type=.img file` into pairs. Quoted values are
 * decoded; a bare value runs until the next ` key=` (so grouped numbers and terse values
 * with spaces stay whole).
 */
export function parsePairs(text: string): Record<string, string> {
  const props: Record<string, string> = {};
  let pos = 0;
  while (pos < text.length) {
    while (text[pos] === ' ') pos++;
    if (pos >= text.length) break;
    KEY_AT.lastIndex = pos;
    const key = KEY_AT.exec(text);
    if (!key) {
      // Not a pair (stray word): skip it.
      const sp = text.indexOf(' ', pos);
      pos = sp < 0 ? text.length : sp;
      continue;
    }
    const name = key[0].slice(0, -1);
    pos += key[0].length;
    if (text[pos] === '"') {
      const q = readQuoted(text, pos + 1);
      props[name] = q.value;
      pos = q.end;
      continue;
    }
    NEXT_KEY.lastIndex = pos;
    const next = NEXT_KEY.exec(text);
    const end = next ? next.index : text.length;
    props[name] = text.slice(pos, end).trimEnd();
    pos = end;
  }
  return props;
}

/** True when `text` ends inside an unterminated quoted value. */
function endsInsideQuote(text: string): boolean {
  let inside = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inside && ch === '\\') i++;
    else if (ch === '"') inside = !inside;
  }
  return inside;
}

/** Joins a continuation line: a new pair after a space, a hard-split value without one. */
function join(acc: string, cont: string): string {
  if (acc === '') return cont;
  if (!endsInsideQuote(acc) && /^[a-z.][a-zA-Z0-9.-]*=/.test(cont)) return `${acc} ${cont}`;
  return acc + cont;
}

function parseLegend(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const x of text.matchAll(LEGEND_ITEM)) m.set(x[1] as string, (x[2] as string).toLowerCase());
  return m;
}

interface Draft {
  index: number;
  letters: string;
  comment?: string;
  text: string;
}

/** Parses `print`, `print detail` and `print terse` output of a list menu. */
export function parsePrint(out: string): PrintRecord[] {
  const drafts: Draft[] = [];
  let legendText = '';
  let inLegend = false;
  let cur: Draft | undefined;
  for (const raw of lines(out)) {
    const line = raw.trimEnd();
    if (line.trim() === '') {
      cur = undefined;
      inLegend = false;
      continue;
    }
    if (/^Flags:/.test(line)) {
      legendText += ' ' + line.slice(6);
      inLegend = true;
      continue;
    }
    if (/^Columns:/.test(line) || /^ *#/.test(line)) continue;
    if (inLegend && /^\s+[A-Za-z*] - /.test(line)) {
      legendText += ' ' + line;
      continue;
    }
    inLegend = false;
    const row = ROW_START.exec(line);
    if (row) {
      const rest = (row[3] as string).trim();
      const flagTokens = /^((?:[A-Za-z*]+\s+)*?)(;;;.*|[a-z.][a-zA-Z0-9.-]*=.*)?$/.exec(rest + ' ');
      if (flagTokens) {
        cur = { index: Number(row[2]), letters: (flagTokens[1] ?? '').replace(/\s+/g, ''), text: '' };
        drafts.push(cur);
        const body = (flagTokens[2] ?? '').trim();
        if (body.startsWith(';;;')) cur.comment = body.slice(3).trim();
        else cur.text = body;
        continue;
      }
    }
    if (!cur) {
      // A `;;;` line printed before its row (table view) belongs to the next row.
      if (line.trim().startsWith(';;;')) {
        cur = { index: -1, letters: '', comment: line.trim().slice(3).trim(), text: '' };
        drafts.push(cur);
      }
      continue;
    }
    const cont = line.trim();
    if (cont.startsWith(';;;') && cur.text === '') cur.comment = cont.slice(3).trim();
    else cur.text = join(cur.text, cont);
  }
  const legend = parseLegend(legendText);
  return mergeCommentRows(drafts).map((d) => ({
    index: d.index,
    flags: [...d.letters].map((l) => legend.get(l) ?? l),
    ...(d.comment !== undefined ? { comment: d.comment } : {}),
    props: parsePairs(d.text),
  }));
}

/** Table view prints `;;; comment` before the indexed row; fold such drafts into the row. */
function mergeCommentRows(drafts: Draft[]): Draft[] {
  const out: Draft[] = [];
  let comment: string | undefined;
  for (const d of drafts) {
    if (d.index === -1) {
      comment = d.comment;
      continue;
    }
    out.push(comment !== undefined && d.comment === undefined ? { ...d, comment } : d);
    comment = undefined;
  }
  return out;
}

/** Settings menus (`/system/resource/print`): `   key: value` lines. */
export function parseSettings(out: string): Record<string, string> {
  const props: Record<string, string> = {};
  for (const raw of lines(out)) {
    const m = /^\s*([a-z][a-z0-9-]*): (.*)$/.exec(raw.trimEnd());
    if (m) props[m[1] as string] = (m[2] as string).trim();
  }
  return props;
}

/**
 * `:put [/menu print as-value]` renders a list of dicts as `.id=*1;k=v;…;.id=*2;…`.
 * A new record starts at `.id` or when a key repeats.
 */
export function parseAsValue(out: string): Record<string, string>[] {
  const records: Record<string, string>[] = [];
  let cur: Record<string, string> | undefined;
  for (const part of lines(out).join('').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    if (!cur || key in cur || (key === '.id' && Object.keys(cur).length > 0)) {
      cur = {};
      records.push(cur);
    }
    cur[key] = part.slice(eq + 1);
  }
  return records;
}
