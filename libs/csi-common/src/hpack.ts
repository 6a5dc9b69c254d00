// Minimal HPACK (RFC 7541) for the :authority fix (authority-proxy.ts): a full decoder
// (static + dynamic table, Huffman) and a stateless encoder (literals without indexing),
// so re-encoded header blocks never depend on, or change, the receiver's dynamic table.

/** Huffman code lengths per symbol 0..255 (RFC 7541 Appendix B); the code is canonical. */
const CODE_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, 13, 6, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, 15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22,
  23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22,
  21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, 26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26,
  27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26,
  26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
];

/** Decoding map keyed by `${length}:${code}`, built once from the canonical lengths (EOS = 30 ones). */
const HUFFMAN = (() => {
  const lens = [...CODE_LENGTHS, 30];
  const order = [...lens.keys()].sort((a, b) => (lens[a] as number) - (lens[b] as number) || a - b);
  const map = new Map<string, number>();
  let code = 0;
  let prev = lens[order[0] as number] as number;
  for (const sym of order) {
    const len = lens[sym] as number;
    code *= 2 ** (len - prev);
    prev = len;
    map.set(`${len}:${code}`, sym);
    code++;
  }
  return map;
})();

function huffmanDecode(buf: Uint8Array): string {
  const out: number[] = [];
  let code = 0;
  let len = 0;
  for (const byte of buf) {
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      len++;
      const sym = HUFFMAN.get(`${len}:${code}`);
      if (sym !== undefined) {
        if (sym === 256) throw new HpackError('EOS in Huffman string');
        out.push(sym);
        code = 0;
        len = 0;
      } else if (len > 30) throw new HpackError('bad Huffman code');
    }
  }
  // Padding: at most 7 bits, all ones.
  if (len > 7 || code !== 2 ** len - 1) throw new HpackError('bad Huffman padding');
  return Buffer.from(out).toString('latin1');
}

export class HpackError extends Error {}

export type Header = [name: string, value: string];

const STATIC: Header[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''],
  ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''],
  ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
  ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
  ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
];
const STATIC_NAME_INDEX = new Map<string, number>();
STATIC.forEach(([n], i) => {
  if (!STATIC_NAME_INDEX.has(n)) STATIC_NAME_INDEX.set(n, i + 1);
});

/** Decoder for one direction of one connection (it owns the dynamic table). */
export class HpackDecoder {
  private table: Header[] = [];
  private size = 0;

  constructor(private maxSize = 4096) {}

  decode(block: Uint8Array): Header[] {
    const headers: Header[] = [];
    let pos = 0;
    const int = (prefixBits: number): number => {
      const mask = 2 ** prefixBits - 1;
      let v = (block[pos++] as number) & mask;
      if (v < mask) return v;
      let m = 0;
      for (;;) {
        if (pos >= block.length) throw new HpackError('truncated integer');
        const b = block[pos++] as number;
        v += (b & 0x7f) * 2 ** m;
        m += 7;
        if (m > 28) throw new HpackError('integer too large');
        if ((b & 0x80) === 0) return v;
      }
    };
    const str = (): string => {
      if (pos >= block.length) throw new HpackError('truncated string');
      const huff = ((block[pos] as number) & 0x80) !== 0;
      const len = int(7);
      if (pos + len > block.length) throw new HpackError('truncated string');
      const raw = block.subarray(pos, pos + len);
      pos += len;
      return huff ? huffmanDecode(raw) : Buffer.from(raw).toString('latin1');
    };
    while (pos < block.length) {
      const b = block[pos] as number;
      if (b & 0x80) {
        headers.push(this.entry(int(7)));
      } else if (b & 0x40) {
        const idx = int(6);
        const name = idx ? this.entry(idx)[0] : str();
        const h: Header = [name, str()];
        this.insert(h);
        headers.push(h);
      } else if (b & 0x20) {
        this.maxSize = int(5);
        this.evict();
      } else {
        const idx = int(4); // without indexing (0000) or never indexed (0001)
        const name = idx ? this.entry(idx)[0] : str();
        headers.push([name, str()]);
      }
    }
    return headers;
  }

  private entry(index: number): Header {
    if (index === 0) throw new HpackError('index 0');
    const h = index <= STATIC.length ? STATIC[index - 1] : this.table[index - STATIC.length - 1];
    if (!h) throw new HpackError(`index ${index} out of range`);
    return h;
  }

  private insert(h: Header): void {
    this.table.unshift(h);
    this.size += h[0].length + h[1].length + 32;
    this.evict();
  }

  private evict(): void {
    while (this.size > this.maxSize && this.table.length) {
      const h = this.table.pop() as Header;
      this.size -= h[0].length + h[1].length + 32;
    }
  }
}

function encodeInt(out: number[], value: number, prefixBits: number, first: number): void {
  const max = 2 ** prefixBits - 1;
  if (value < max) {
    out.push(first | value);
    return;
  }
  out.push(first | max);
  let v = value - max;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function encodeStr(out: number[], s: string): void {
  const bytes = Buffer.from(s, 'latin1');
  encodeInt(out, bytes.length, 7, 0);
  for (const b of bytes) out.push(b);
}

/** Stateless encoding: every field a literal without indexing (static name index when there is one). */
export function encodeHeaders(headers: readonly Header[]): Buffer {
  const out: number[] = [];
  for (const [name, value] of headers) {
    const idx = STATIC_NAME_INDEX.get(name);
    if (idx) encodeInt(out, idx, 4, 0);
    else {
      out.push(0);
      encodeStr(out, name);
    }
    encodeStr(out, value);
  }
  return Buffer.from(out);
}
