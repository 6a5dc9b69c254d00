// Tokenises one RouterOS console line (docs/routeros.md "Console over SSH"): bare words, double-
// quoted strings with RouterOS escapes, `[ … ]` substitution brackets, expression operators
// and `;` separators. Variables (`$x`) and code blocks are not simulated: they are errors.

export type Token =
  | { kind: 'word'; text: string; col: number }
  | { kind: 'str'; text: string; col: number }
  | { kind: 'op'; text: string; col: number }
  | { kind: 'open' | 'close' | 'end'; text: string; col: number };

export class CliSyntaxError extends Error {
  constructor(readonly col: number) {
    super(`syntax error (line 1 column ${col})`);
  }
}

const OPS = ['!=', '<=', '>=', '&&', '||', '=', '~', '<', '>', '!', '(', ')'];
const WORD_CHAR = /[^\s"[\]();=!~<>&|{}#$\\]/;
const NAMED: Record<string, string> = { n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', f: '\f', v: '\v', _: ' ' };

function readString(line: string, start: number): { text: string; end: number } {
  const bytes: number[] = [];
  let i = start + 1;
  while (i < line.length) {
    const ch = line[i] as string;
    if (ch === '"') return { text: Buffer.from(bytes).toString('utf8'), end: i + 1 };
    if (ch === '\\') {
      const hex = /^[0-9A-F]{2}/.exec(line.slice(i + 1, i + 3));
      if (hex) {
        bytes.push(parseInt(hex[0], 16));
        i += 3;
        continue;
      }
      const next = line[i + 1];
      if (next === undefined) break;
      bytes.push(...Buffer.from(NAMED[next] ?? next, 'utf8'));
      i += 2;
      continue;
    }
    if (ch === '$') throw new CliSyntaxError(i + 1); // interpolation is not simulated
    bytes.push(...Buffer.from(ch, 'utf8'));
    i++;
  }
  throw new CliSyntaxError(start + 1); // unterminated string
}

export function lex(line: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const ch = line[i] as string;
    const col = i + 1;
    if (/\s/.test(ch)) {
      if (ch === '\n') out.push({ kind: 'end', text: ';', col });
      i++;
    } else if (ch === '#') {
      const nl = line.indexOf('\n', i);
      i = nl < 0 ? line.length : nl;
    } else if (ch === '"') {
      const s = readString(line, i);
      out.push({ kind: 'str', text: s.text, col });
      i = s.end;
    } else if (ch === '[') {
      out.push({ kind: 'open', text: '[', col });
      i++;
    } else if (ch === ']') {
      out.push({ kind: 'close', text: ']', col });
      i++;
    } else if (ch === ';') {
      out.push({ kind: 'end', text: ';', col });
      i++;
    } else if (WORD_CHAR.test(ch)) {
      let j = i;
      while (j < line.length && WORD_CHAR.test(line[j] as string)) j++;
      out.push({ kind: 'word', text: line.slice(i, j), col });
      i = j;
    } else {
      const op = OPS.find((o) => line.startsWith(o, i));
      if (!op) throw new CliSyntaxError(col); // `$`, `{`, `}`, `\`, lone `&`/`|`
      out.push({ kind: 'op', text: op, col });
      i += op.length;
    }
  }
  return out;
}
