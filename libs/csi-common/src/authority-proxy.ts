// grpc-js (Node's http2/nghttp2) resets every stream whose `:authority` is empty or a socket
// path with PROTOCOL_ERROR, and older grpc-go clients (kubelet, some sidecars) send exactly
// that over unix sockets (nodejs/node#32326, democratic-csi#26). This proxy sits on the public
// socket, re-encodes each client header block with `:authority: localhost` when the value is
// one of those, and passes every other byte through unchanged in both directions.
import { existsSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { encodeHeaders, HpackDecoder, type Header } from './hpack';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const HEADERS = 0x1;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
/** Every peer accepts frames of this size (SETTINGS_MAX_FRAME_SIZE minimum). */
const MAX_FRAME = 16_384;
/** Header blocks beyond this are refused (grpc-js limits header lists to 16 KiB anyway). */
const MAX_BLOCK = 256 * 1024;

/** Whether a client-sent `:authority` would be rejected by the server and needs replacing. */
export const needsAuthorityFix = (value: string): boolean => value === '' || value.includes('/');

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

/** Re-emits a header block as HEADERS (+ CONTINUATION) frames. */
function headerFrames(stream: number, endStream: boolean, block: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let off = 0, first = true; first || off < block.length; first = false) {
    const chunk = block.subarray(off, off + MAX_FRAME);
    off += chunk.length;
    const last = off >= block.length;
    const flags = (last ? END_HEADERS : 0) | (first && endStream ? END_STREAM : 0);
    frames.push(frame(first ? HEADERS : CONTINUATION, flags, stream, chunk));
  }
  return frames;
}

/**
 * Client-to-server byte stream rewriter for one connection. Feed it chunks; it returns the
 * bytes to forward. Throws on a malformed stream (the caller drops the connection).
 */
export class AuthorityRewriter {
  private buf: Buffer = Buffer.alloc(0);
  private prefaceSeen = false;
  private readonly decoder = new HpackDecoder();
  private pending: { stream: number; endStream: boolean; parts: Buffer[]; size: number } | undefined;
  /** Count of header blocks whose authority was replaced (for tests and metrics). */
  rewritten = 0;

  push(chunk: Buffer): Buffer {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[] = [];
    if (!this.prefaceSeen) {
      if (this.buf.length < PREFACE.length) return Buffer.alloc(0);
      if (!this.buf.subarray(0, PREFACE.length).equals(PREFACE)) throw new Error('not an HTTP/2 connection preface');
      out.push(this.buf.subarray(0, PREFACE.length));
      this.buf = this.buf.subarray(PREFACE.length);
      this.prefaceSeen = true;
    }
    while (this.buf.length >= 9) {
      const len = this.buf.readUIntBE(0, 3);
      if (this.buf.length < 9 + len) break;
      const type = this.buf[3] as number;
      const flags = this.buf[4] as number;
      const stream = this.buf.readUInt32BE(5) & 0x7fffffff;
      const whole = this.buf.subarray(0, 9 + len);
      const payload = whole.subarray(9);
      this.buf = this.buf.subarray(9 + len);
      if (type === HEADERS) {
        let start = 0;
        let pad = 0;
        if (flags & PADDED) {
          pad = payload[0] ?? 0;
          start = 1;
        }
        if (flags & PRIORITY) start += 5; // deprecated priority data; dropped on re-encode
        if (start + pad > payload.length) throw new Error('bad HEADERS padding');
        this.pending = { stream, endStream: (flags & END_STREAM) !== 0, parts: [], size: 0 };
        this.addFragment(payload.subarray(start, payload.length - pad));
        if (flags & END_HEADERS) out.push(...this.finishBlock());
      } else if (type === CONTINUATION) {
        if (!this.pending || this.pending.stream !== stream) throw new Error('unexpected CONTINUATION');
        this.addFragment(payload);
        if (flags & END_HEADERS) out.push(...this.finishBlock());
      } else {
        if (this.pending) throw new Error('frame interleaved in a header block');
        out.push(whole);
      }
    }
    return Buffer.concat(out);
  }

  private addFragment(part: Buffer): void {
    const p = this.pending as NonNullable<typeof this.pending>;
    p.size += part.length;
    if (p.size > MAX_BLOCK) throw new Error('header block too large');
    p.parts.push(Buffer.from(part));
  }

  private finishBlock(): Buffer[] {
    const p = this.pending as NonNullable<typeof this.pending>;
    this.pending = undefined;
    // Decoding every block keeps the dynamic table in step with the client's encoder.
    const headers = this.decoder.decode(Buffer.concat(p.parts));
    let fixed = false;
    const out: Header[] = headers.map(([n, v]) => {
      if (n === ':authority' && needsAuthorityFix(v)) {
        fixed = true;
        return [n, 'localhost'];
      }
      return [n, v];
    });
    if (fixed) this.rewritten++;
    return headerFrames(p.stream, p.endStream, encodeHeaders(out));
  }
}

export interface AuthorityProxy {
  close(): Promise<void>;
  /** Header blocks rewritten so far, over all connections. */
  rewritten(): number;
}

/** Listens on `publicPath` and forwards every connection to `targetPath` through the rewriter. */
export async function startAuthorityProxy(publicPath: string, targetPath: string): Promise<AuthorityProxy> {
  if (existsSync(publicPath)) unlinkSync(publicPath);
  let rewritten = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPath);
    sockets.add(client).add(upstream);
    const rewriter = new AuthorityRewriter();
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('data', (chunk: Buffer) => {
      try {
        const before = rewriter.rewritten;
        const out = rewriter.push(chunk);
        rewritten += rewriter.rewritten - before;
        if (out.length && !upstream.write(out)) client.pause();
      } catch {
        drop();
      }
    });
    upstream.on('drain', () => client.resume());
    upstream.pipe(client);
    client.on('end', () => upstream.end());
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(publicPath, () => resolve());
  });
  return {
    rewritten: () => rewritten,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          if (existsSync(publicPath)) unlinkSync(publicPath);
          resolve();
        });
      }),
  };
}
