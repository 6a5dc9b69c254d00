// Blob uploads: POST (session, monolithic with ?digest=, or cross-repository
// ?mount=&from=), PATCH chunks with Content-Range, PUT to close, GET status, DELETE.
import { pipeline, type Readable } from 'node:stream';
import { isValidRepositoryName } from '@mikrotik-kube/oci';
import { RegistryError } from '../errors';
import { checkDigest, countBytes } from './blobs';
import { send, type RequestContext } from './context';
import type { HandlerDeps } from './deps';

function uploadHeaders(name: string, id: string, size: number): Record<string, string | number> {
  return {
    location: `/v2/${name}/blobs/uploads/${id}`,
    range: `0-${Math.max(0, size - 1)}`,
    'docker-upload-uuid': id,
    'content-length': 0,
  };
}

function created(ctx: RequestContext, digest: string): void {
  send(ctx.res, 201, { location: `/v2/${ctx.name}/blobs/${digest}`, 'docker-content-digest': digest, 'content-length': 0 });
}

/** `Content-Range: <start>-<end>` (inclusive); a `bytes ` prefix some clients send is tolerated. */
function parseContentRange(header: string | undefined): { start: number; length: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/\S+)?$/.exec(header.trim());
  if (!m) throw new RegistryError('RANGE_INVALID', `invalid Content-Range ${JSON.stringify(header)}`);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) throw new RegistryError('RANGE_INVALID', `invalid Content-Range ${JSON.stringify(header)}`);
  return { start, length: end - start + 1 };
}

/**
 * The request body, metered. `pipeline` (not `req.pipe`) passes a client's abort on
 * as an error, so the store's write fails, its file is closed and cut back, and the
 * session is free for a retry instead of waiting forever on a body that never ends.
 */
function requestBody(ctx: RequestContext, deps: HandlerDeps): Readable {
  const meter = countBytes(deps.metrics.bytesIn);
  pipeline(ctx.req, meter, () => undefined);
  return meter;
}

export async function handleUploads(ctx: RequestContext, deps: HandlerDeps): Promise<void> {
  if (ctx.method !== 'POST') throw new RegistryError('UNSUPPORTED', `${ctx.method} is not supported on uploads`);
  const mount = ctx.query.get('mount');
  if (mount !== null) {
    const digest = checkDigest(mount);
    const from = ctx.query.get('from') ?? undefined;
    const validFrom = from === undefined || isValidRepositoryName(from);
    if (validFrom && (await deps.blobs.mount(ctx.name, digest, from))) {
      created(ctx, digest);
      return;
    }
    // Not mountable: the spec says to answer with an ordinary upload session.
  }
  const digestParam = ctx.query.get('digest');
  if (digestParam !== null) {
    const digest = checkDigest(digestParam);
    const id = await deps.uploads.create(ctx.name);
    try {
      await deps.uploads.append(ctx.name, id, requestBody(ctx, deps));
      await deps.uploads.commit(ctx.name, id, digest);
    } catch (err) {
      await deps.uploads.cancel(ctx.name, id).catch(() => undefined);
      throw err;
    }
    created(ctx, digest);
    return;
  }
  const id = await deps.uploads.create(ctx.name);
  send(ctx.res, 202, uploadHeaders(ctx.name, id, 0));
}

export async function handleUpload(ctx: RequestContext, deps: HandlerDeps): Promise<void> {
  const id = ctx.param;
  if (!/^[a-f0-9-]{36}$/.test(id)) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is unknown`);
  switch (ctx.method) {
    case 'GET': {
      const st = await deps.uploads.status(ctx.name, id);
      send(ctx.res, 204, uploadHeaders(ctx.name, id, st.size));
      return;
    }
    case 'DELETE':
      await deps.uploads.cancel(ctx.name, id);
      send(ctx.res, 204, { 'content-length': 0 });
      return;
    case 'PATCH': {
      const range = parseContentRange(ctx.req.headers['content-range']);
      try {
        const st = await deps.uploads.append(ctx.name, id, requestBody(ctx, deps), range?.start, range?.length);
        send(ctx.res, 202, uploadHeaders(ctx.name, id, st.size));
      } catch (err) {
        if (err instanceof RegistryError && err.status === 416) {
          const st = await deps.uploads.status(ctx.name, id);
          for (const [k, v] of Object.entries(uploadHeaders(ctx.name, id, st.size))) ctx.res.setHeader(k, v);
        }
        throw err;
      }
      return;
    }
    case 'PUT': {
      const digestParam = ctx.query.get('digest');
      if (digestParam === null) throw new RegistryError('DIGEST_INVALID', 'PUT needs a ?digest= parameter');
      const digest = checkDigest(digestParam);
      const range = parseContentRange(ctx.req.headers['content-range']);
      await deps.uploads.append(ctx.name, id, requestBody(ctx, deps), range?.start, range?.length);
      try {
        await deps.uploads.commit(ctx.name, id, digest);
      } catch (err) {
        // A failed verification ends the session; nothing of it reaches the blob store.
        if (err instanceof RegistryError && err.code === 'DIGEST_INVALID') await deps.uploads.cancel(ctx.name, id).catch(() => undefined);
        throw err;
      }
      created(ctx, digest);
      return;
    }
    default:
      throw new RegistryError('UNSUPPORTED', `${ctx.method} is not supported on an upload`);
  }
}
