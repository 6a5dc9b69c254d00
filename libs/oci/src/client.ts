// An OCI distribution client over node:http (see http.ts): manifests with the full
// Accept list, blobs as streams (never buffered), monolithic pushes, and the
// Bearer/Basic auth dance handled once per scope. Used by the registry's
// pull-through cache and by services that pull images.
import type { Readable } from 'node:stream';
import { TokenCache, type Credentials } from './auth';
import { digestOf, parseDigest } from './digest';
import { httpRequest, type HttpResponse } from './http';
import { manifestAccept } from './media-types';

export interface RegistryClientOptions {
  /** e.g. https://registry-1.docker.io or http://127.0.0.1:5000 */
  baseUrl: string;
  credentials?: Credentials;
  userAgent?: string;
  /** Per-request timeout for headers (not for streaming bodies). Default 30 s. */
  timeoutMs?: number;
  /** Longest silence while a body streams before it fails. Default 300 s. */
  bodyIdleTimeoutMs?: number;
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

export interface GetBlobOptions {
  /** Aborts the request, or the body stream once it flows. */
  signal?: AbortSignal;
}

type Body = Buffer | Readable | undefined;

interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Body;
  /** Statuses that are returned instead of thrown. */
  accept?: number[];
  push?: boolean;
  signal?: AbortSignal;
}

export class RegistryClient {
  readonly baseUrl: string;
  private readonly auth: TokenCache;
  private readonly timeoutMs: number;
  private readonly bodyIdleMs: number;
  private readonly maxManifestBytes: number;

  constructor(private readonly opts: RegistryClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.auth = new TokenCache(opts.credentials);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.bodyIdleMs = opts.bodyIdleTimeoutMs ?? 300_000;
    this.maxManifestBytes = opts.maxManifestBytes ?? 4 * 1024 * 1024;
  }

  /** GET /v2/ — resolves when the registry answers and our credentials are accepted. */
  async ping(): Promise<void> {
    const res = await this.request('/v2/', '', {});
    res.discard();
  }

  async headManifest(repo: string, reference: string): Promise<ManifestInfo | undefined> {
    const res = await this.request(`/v2/${repo}/manifests/${reference}`, scope(repo), {
      method: 'HEAD',
      headers: { accept: manifestAccept },
      accept: [404],
    });
    res.discard();
    if (res.status === 404) return undefined;
    const digest = res.header('docker-content-digest');
    const mediaType = res.header('content-type');
    if (!digest || !mediaType) {
      // Some registries leave the digest off HEAD answers: fetch the manifest and hash it.
      const m = await this.getManifest(repo, reference);
      return { digest: m.digest, mediaType: m.mediaType, size: m.size };
    }
    return { digest, mediaType: mediaType.split(';')[0] as string, size: Number(res.header('content-length') ?? 0) };
  }

  /** Fetches a manifest; verifies it against `reference` when that is a digest. */
  async getManifest(repo: string, reference: string): Promise<FetchedManifest> {
    const res = await this.request(`/v2/${repo}/manifests/${reference}`, scope(repo), {
      headers: { accept: manifestAccept },
    });
    const declared = Number(res.header('content-length') ?? 0);
    if (declared > this.maxManifestBytes) {
      res.discard();
      throw new Error(`manifest ${repo}:${reference} is ${declared} bytes, over the ${this.maxManifestBytes} limit`);
    }
    let bytes: Buffer;
    try {
      bytes = await res.bytes(this.maxManifestBytes);
    } catch (e) {
      throw new Error(`manifest ${repo}:${reference} is too large or was cut off: ${(e as Error).message}`);
    }
    const isDigestRef = reference.includes(':');
    const algorithm = isDigestRef ? parseDigest(reference).algorithm : 'sha256';
    const digest = digestOf(bytes, algorithm);
    if (isDigestRef && digest !== reference) {
      throw new Error(`manifest ${repo}@${reference} from ${this.baseUrl} has digest ${digest}`);
    }
    let mediaType = res.header('content-type')?.split(';')[0]?.trim() ?? '';
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
    res.discard();
    if (res.status === 404) return undefined;
    return Number(res.header('content-length') ?? 0);
  }

  /** Streams a blob (following redirects to storage). The caller verifies the digest (see VerifyingStream). */
  async getBlob(repo: string, digest: string, o: GetBlobOptions = {}): Promise<FetchedBlob> {
    const res = await this.request(`/v2/${repo}/blobs/${digest}`, scope(repo), o.signal ? { signal: o.signal } : {});
    const len = res.header('content-length');
    return { size: len === undefined ? undefined : Number(len), stream: res.body };
  }

  /** Pushes a blob unless the repository has it: POST for a session, then one PUT with the content. */
  async pushBlob(repo: string, digest: string, size: number, content: Buffer | (() => Readable)): Promise<void> {
    if ((await this.headBlob(repo, digest)) !== undefined) return;
    const post = await this.request(`/v2/${repo}/blobs/uploads/`, scope(repo, true), {
      method: 'POST',
      push: true,
      headers: { 'content-length': '0' },
    });
    post.discard();
    const location = post.header('location');
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
    put.discard();
  }

  async pushManifest(repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.request(`/v2/${repo}/manifests/${reference}`, scope(repo, true), {
      method: 'PUT',
      push: true,
      headers: { 'content-type': mediaType },
      body: bytes,
    });
    res.discard();
    return res.header('docker-content-digest') ?? digestOf(bytes);
  }

  async listTags(repo: string): Promise<string[]> {
    const res = await this.request(`/v2/${repo}/tags/list`, scope(repo), {});
    const body = JSON.parse(await res.text(this.maxManifestBytes)) as { tags?: string[] | null };
    return body.tags ?? [];
  }

  private async request(path: string, scopeName: string, o: RequestOptions): Promise<HttpResponse> {
    const url = path.startsWith('http') ? path : `${this.baseUrl}${path}`;
    const method = o.method ?? 'GET';
    // A streamed body cannot be replayed after a 401, so it is only sent once auth is known.
    const replayable = o.body === undefined || Buffer.isBuffer(o.body);
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...o.headers };
      if (this.opts.userAgent) headers['user-agent'] = this.opts.userAgent;
      const authz = this.auth.header(scopeName);
      if (authz) headers.authorization = authz;
      const res = await httpRequest(url, {
        method,
        headers,
        timeoutMs: this.timeoutMs,
        bodyIdleMs: this.bodyIdleMs,
        ...(o.body ? { body: o.body } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
      if (res.status === 401 && attempt === 0 && replayable) {
        res.discard();
        if (await this.auth.answer(res.header('www-authenticate') ?? null, scopeName)) continue;
        throw new RegistryHttpError(401, ['UNAUTHORIZED'], `${method} ${url}: unauthorized`);
      }
      if (res.ok || o.accept?.includes(res.status)) return res;
      throw await httpError(res, `${method} ${url}`);
    }
  }
}

function scope(repo: string, push = false): string {
  return `repository:${repo}:${push ? 'pull,push' : 'pull'}`;
}

async function httpError(res: HttpResponse, what: string): Promise<RegistryHttpError> {
  let codes: string[] = [];
  let detail = '';
  try {
    const text = await res.text(64 * 1024);
    detail = text.slice(0, 500);
    const body = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    codes = (body.errors ?? []).map((e) => e.code ?? '').filter(Boolean);
    detail = (body.errors ?? []).map((e) => `${e.code}: ${e.message}`).join('; ') || detail;
  } catch {
    // a body that is not the spec's error JSON is reported as text
  }
  return new RegistryHttpError(res.status, codes, `${what}: HTTP ${res.status}${detail ? ` ${detail}` : ''}`);
}
