// GET/HEAD/DELETE /v2/<name>/blobs/<digest>, with single byte ranges.
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseDigest } from '@mikrotik-kube/oci';
import { RegistryError } from '../errors';
import type { ByteRange } from '../storage/types';
import { send, type RequestContext } from './context';
import type { HandlerDeps } from './deps';

export function checkDigest(value: string): string {
  try {
    return parseDigest(value).value;
  } catch (err) {
    throw new RegistryError('DIGEST_INVALID', (err as Error).message);
  }
}

/** Parses `bytes=a-b`, `bytes=a-` or `bytes=-n`; throws 416 when unsatisfiable. */
export function parseRange(header: string, size: number): ByteRange {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  const bad = () =>
    new RegistryError('RANGE_INVALID', `range ${header} is not satisfiable for ${size} bytes`, { detail: { size } });
  if (!m || (m[1] === '' && m[2] === '')) throw bad();
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) throw bad();
  return { start, end };
}

export function countBytes(counter: { inc(n: number): void }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      counter.inc(chunk.length);
      cb(null, chunk);
    },
  });
}

export async function handleBlob(ctx: RequestContext, deps: HandlerDeps): Promise<void> {
  const digest = checkDigest(ctx.param);
  if (ctx.method === 'DELETE') {
    if (deps.readOnly(ctx.name)) throw new RegistryError('UNSUPPORTED', `${ctx.name} is a read-only cache`);
    if (!(await deps.blobs.delete(ctx.name, digest))) throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} is unknown`);
    send(ctx.res, 202, { 'docker-content-digest': digest, 'content-length': 0 });
    return;
  }
  if (ctx.method === 'HEAD') {
    const size = await deps.blobs.stat(ctx.name, digest);
    if (size === undefined) throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} is unknown`);
    send(ctx.res, 200, {
      'content-length': size,
      'content-type': 'application/octet-stream',
      'docker-content-digest': digest,
      'accept-ranges': 'bytes',
    });
    return;
  }
  if (ctx.method !== 'GET') throw new RegistryError('UNSUPPORTED', `${ctx.method} is not supported on blobs`);
  const rangeHeader = ctx.req.headers.range;
  let range: ByteRange | undefined;
  if (rangeHeader) {
    const size = await deps.blobs.stat(ctx.name, digest);
    if (size === undefined) throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} is unknown`);
    try {
      range = parseRange(rangeHeader, size);
    } catch (err) {
      ctx.res.setHeader('content-range', `bytes */${size}`);
      throw err;
    }
  }
  const reader = await deps.blobs.open(ctx.name, digest, range);
  if (!reader) throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} is unknown`);
  const headers: Record<string, string | number> = {
    'content-type': 'application/octet-stream',
    'docker-content-digest': digest,
    'accept-ranges': 'bytes',
  };
  if (range && reader.size !== undefined) {
    headers['content-range'] = `bytes ${range.start}-${range.end}/${reader.size}`;
    headers['content-length'] = range.end - range.start + 1;
  } else if (reader.size !== undefined) headers['content-length'] = reader.size;
  for (const [k, v] of Object.entries(headers)) ctx.res.setHeader(k, v);
  ctx.res.statusCode = range ? 206 : 200;
  await pipeline(reader.stream, countBytes(deps.metrics.bytesOut), ctx.res);
}
