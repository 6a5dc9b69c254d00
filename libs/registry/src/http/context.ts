// What a handler gets for one request, and the few ways it answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RegistryError } from '../errors';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Raw path (not normalised, so `..` reaches validation instead of being resolved away). */
  path: string;
  query: URLSearchParams;
  /** Repository name, for repository routes. */
  name: string;
  /** The route's trailing parameter (digest, reference or upload id). */
  param: string;
}

export function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number | string[]>,
  body?: string | Buffer,
): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body !== undefined && !res.hasHeader('content-length')) res.setHeader('content-length', Buffer.byteLength(body));
  res.statusCode = status;
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, doc: unknown, headers: Record<string, string> = {}): void {
  send(res, status, { 'content-type': 'application/json', ...headers }, JSON.stringify(doc));
}

export function sendError(res: ServerResponse, err: RegistryError, method: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(err.toJSON());
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('content-type', 'application/json');
  res.statusCode = err.status;
  if (method === 'HEAD') {
    res.end();
    return;
  }
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/** Reads a request body of at most `limit` bytes (manifests); larger bodies get 413. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? -1);
  if (declared > limit) {
    throw new RegistryError('MANIFEST_INVALID', `body of ${declared} bytes exceeds the ${limit} byte limit`, { status: 413 });
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > limit) throw new RegistryError('MANIFEST_INVALID', `body exceeds the ${limit} byte limit`, { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Pagination per the spec: sorted input, entries after `last`, at most `n`, and a Link to the rest. */
export function paginate(
  all: string[],
  query: URLSearchParams,
  linkBase: string,
): { page: string[]; link?: string } {
  const last = query.get('last');
  let items = last ? all.filter((x) => x > last) : all;
  const nRaw = query.get('n');
  if (nRaw === null || !/^\d+$/.test(nRaw)) return { page: items };
  const n = Number(nRaw);
  if (n === 0) return { page: [] };
  const more = items.length > n;
  items = items.slice(0, n);
  if (!more) return { page: items };
  const next = new URLSearchParams({ n: String(n), last: items[items.length - 1] as string });
  return { page: items, link: `<${linkBase}?${next.toString()}>; rel="next"` };
}
