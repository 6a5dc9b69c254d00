// An OCI distribution client over Node's fetch: manifests with the full Accept
// list, blobs as streams (never buffered), monolithic pushes, and the Bearer/Basic
// auth dance handled once per scope. Used by the registry's pull-through cache
// and by services that pull images.
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { TokenCache, type Credentials } from './auth';
import { digestOf, parseDigest } from './digest';
import { manifestAccept } from './media-types';

export interface RegistryClientOptions {
  /** e.g. https://registry-1.docker.io or http://127.0.0.1:5000 */
  baseUrl: string;
  credentials?: Credentials;
  userAgent?: string;
  /** Per-request timeout for headers (not for streaming bodies). Default 30 s. */
  timeoutMs?: number;
  /** Largest manifest accepted, default 4 MiB. */
  maxManifestBytes?: number;
}

export class RegistryHttpError extends Error {
  constructor(
    readonly status: number,
    readonly codes: string[],
    message: string,
  ) {
    super(message);
    this.name = 'RegistryHttpError';
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof RegistryHttpError && err.status === 404;
}

export interface ManifestInfo {
  digest: string;
  mediaType: string;
  size: number;
}

export interface FetchedManifest extends ManifestInfo {
  bytes: Buffer;
}

export interface FetchedBlob {
  /** Undefined when the registry streamed without Content-Length. */
  size: number | undefined;
  stream: Readable;
}

type Body = Buffer | Readable | undefined;

interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Body;
  /** Statuses that are returned instead of thrown. */
  accept?: number[];
  push?: boolean;
}

export class RegistryClient {
  readonly baseUrl: string;
  private readonly auth: TokenCache;
  private readonly timeoutMs: number;
  private readonly maxManifestBytes: number;

  constructor(private readonly opts: RegistryClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.auth = new TokenCache(opts.credentials);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxManifestBytes = opts.maxManifestBytes ?? 4 * 1024 * 1024;
  }

  /** GET /v2/ — resolves when the registry answers and our credentials are accepted. */
  async ping(): Promise<void> {
    const res = await this.request('/v2/', '', {});
    await res.body?.cancel();
  }

  async headManifest(repo: string, reference: string): Promise<ManifestInfo | undefined> {
    const res = await this.request(`/v2/${repo}/manifests/${reference}`, scope(repo), {
      method: 'HEAD',
      headers: { accept: manifestAccept },
      accept: [404],
    });
    if (res.status === 404) return undefined;
    const digest = res.headers.get('docker-content-digest');
    const mediaType = res.headers.get('content-type');
    if (!digest || !mediaType) {
      // Some registries leave the digest off HEAD answers: fetch the manifest and hash it.
      const m = await this.getManifest(repo, reference);
      return { digest: m.digest, mediaType: m.mediaType, size: m.size };
    }
    return { digest, mediaType: mediaType.split(';')[0] as string, size: Number(res.headers.get('content-length') ?? 0) };
  }

  /** Fetches a manifest; verifies it against `reference` when that is a digest. */
  async getManifest(repo: string, reference: string): Promise<FetchedManifest> {
    const res = await this.request(`/v2/${repo}/manifests/${reference}`, scope(repo), {
      headers: { accept: manifestAccept },
    });
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > this.maxManifestBytes) {
      await res.body?.cancel();
      throw new Error(`manifest ${repo}:${reference} is ${declared} bytes, over the ${this.maxManifestBytes} limit`);
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > this.maxManifestBytes) throw new Error(`manifest ${repo}:${reference} is too large`);
    const isDigestRef = reference.includes(':');
    const algorithm = isDigestRef ? parseDigest(reference).algorithm : 'sha256';
    const digest = digestOf(bytes, algorithm);
    if (isDigestRef && digest !== reference) {
      throw new Error(`manifest ${repo}@${reference} from ${this.baseUrl} has digest ${digest}`);
    }
    let mediaType = res.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
    try {
      const parsed = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown };
      if (typeof parsed.mediaType === 'string') mediaType = parsed.mediaType;
    } catch {
      throw new Error(`manifest ${repo}:${reference} from ${this.baseUrl} is not JSON`);
    }
    return { digest, mediaType, size: bytes.length, bytes };
  }

  async headBlob(repo: string, digest: string): Promise<number | undefined> {
    const res = await this.request(`/v2/${repo}/blobs/${digest}`, scope(repo), { method: 'HEAD', accept: [404] });
    if (res.status === 404) return undefined;
    return Number(res.headers.get('content-length') ?? 0);
  }

  /** Streams a blob. The caller verifies the digest (see VerifyingStream). */
  async getBlob(repo: string, digest: string): Promise<FetchedBlob> {
    const res = await this.request(`/v2/${repo}/blobs/${digest}`, scope(repo), {});
    const len = res.headers.get('content-length');
    if (!res.body) throw new Error(`blob ${digest} has no body`);
    return {
      size: len === null ? undefined : Number(len),
      stream: Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>),
    };
  }

  /** Pushes a blob unless the repository has it: POST for a session, then one PUT with the content. */
  async pushBlob(repo: string, digest: string, size: number, content: Buffer | (() => Readable)): Promise<void> {
    if ((await this.headBlob(repo, digest)) !== undefined) return;
    const post = await this.request(`/v2/${repo}/blobs/uploads/`, scope(repo, true), {
      method: 'POST',
      push: true,
      headers: { 'content-length': '0' },
    });
    await post.body?.cancel();
    const location = post.headers.get('location');
    if (!location) throw new Error(`upload session for ${repo} has no Location`);
    const url = new URL(location, `${this.baseUrl}/`);
    url.searchParams.set('digest', digest);
    const body = Buffer.isBuffer(content) ? content : content();
    const put = await this.request(url.pathname + url.search, scope(repo, true), {
      method: 'PUT',
      push: true,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body,
    });
    await put.body?.cancel();
  }

  async pushManifest(repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.request(`/v2/${repo}/manifests/${reference}`, scope(repo, true), {
      method: 'PUT',
      push: true,
      headers: { 'content-type': mediaType },
      body: bytes,
    });
    await res.body?.cancel();
    return res.headers.get('docker-content-digest') ?? digestOf(bytes);
  }

  async listTags(repo: string): Promise<string[]> {
    const res = await this.request(`/v2/${repo}/tags/list`, scope(repo), {});
    const body = (await res.json()) as { tags?: string[] | null };
    return body.tags ?? [];
  }

  private async request(path: string, scopeName: string, o: RequestOptions): Promise<Response> {
    const url = path.startsWith('http') ? path : `${this.baseUrl}${path}`;
    // A streamed body cannot be replayed after a 401, so it is only sent once auth is known.
    const replayable = !(o.body instanceof Readable);
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...o.headers };
      if (this.opts.userAgent) headers['user-agent'] = this.opts.userAgent;
      const authz = this.auth.header(scopeName);
      if (authz) headers.authorization = authz;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new Error(`${o.method ?? 'GET'} ${url}: timed out`)), this.timeoutMs);
      let res: Response;
      try {
        const init: RequestInit & { duplex?: 'half' } = { method: o.method ?? 'GET', headers, signal: controller.signal };
        if (o.body) {
          init.body = Buffer.isBuffer(o.body) ? o.body : (Readable.toWeb(o.body) as unknown as ReadableStream);
          init.duplex = 'half';
        }
        res = await fetch(url, init);
      } finally {
        clearTimeout(timer);
      }
      if (res.status === 401 && attempt === 0 && replayable) {
        await res.body?.cancel();
        if (await this.auth.answer(res.headers.get('www-authenticate'), scopeName)) continue;
        throw new RegistryHttpError(401, ['UNAUTHORIZED'], `${o.method ?? 'GET'} ${url}: unauthorized`);
      }
      if (res.ok || o.accept?.includes(res.status)) return res;
      throw await httpError(res, `${o.method ?? 'GET'} ${url}`);
    }
  }
}

function scope(repo: string, push = false): string {
  return `repository:${repo}:${push ? 'pull,push' : 'pull'}`;
}

async function httpError(res: Response, what: string): Promise<RegistryHttpError> {
  let codes: string[] = [];
  let detail = '';
  try {
    const text = await res.text();
    detail = text.slice(0, 500);
    const body = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    codes = (body.errors ?? []).map((e) => e.code ?? '').filter(Boolean);
    detail = (body.errors ?? []).map((e) => `${e.code}: ${e.message}`).join('; ') || detail;
  } catch {
    // a body that is not the spec's error JSON is reported as text
  }
  return new RegistryHttpError(res.status, codes, `${what}: HTTP ${res.status}${detail ? ` ${detail}` : ''}`);
}
