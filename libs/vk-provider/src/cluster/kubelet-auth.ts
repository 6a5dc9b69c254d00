// Who may use the kubelet API, decided as the kubelet's webhook mode does: a verified client
// certificate (user = CN, groups = O) or a bearer token the API server vouches for (TokenReview)
// authenticates; a SubjectAccessReview on nodes/<subresource> of this node authorizes. The path
// → subresource mapping follows the kubelet's server/auth.go (fine-grained: /pods and /healthz
// ask for pods / healthz first, proxy as fallback). Decisions are cached: allowed 5 min, denied
// 30 s, as the kubelet's authorization webhook cache; token reviews 2 min.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@mikrotik-kube/service-kit';
import { Counter, type Registry } from 'prom-client';

export interface KubeletUser {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export type AuthDecision = { ok: true; user: KubeletUser } | { ok: false; status: 401 | 403 | 500; message: string };

export interface KubeletAuthOptions {
  kubeConfig: KubeConfig;
  /** The Node the requests are about (SubjectAccessReview name). */
  nodeName: string;
  logger: Logger;
  /** Exports mikrotik_kube_vk_kubelet_api_authn_total{method,result,cached} and mikrotik_kube_vk_kubelet_api_authz_total{decision,cached}. */
  metrics?: Registry;
  /** Cache lifetimes (ms) and size; the kubelet's defaults unless set. */
  allowTtlMs?: number;
  denyTtlMs?: number;
  tokenTtlMs?: number;
  maxEntries?: number;
}

export interface KubeletAuth {
  /** Authenticates and authorizes one request; `ok: false` carries the status and body to answer. */
  check(req: IncomingMessage): Promise<AuthDecision>;
}

const VERBS: Record<string, string> = { GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

const isSubpath = (path: string, base: string) => path === base || path.startsWith(`${base}/`);

/** The kubelet's authorization attributes for a request: API verb and the nodes subresources to try, in order. */
export function requestAttributes(method: string | undefined, path: string): { verb: string; subresources: string[] } {
  const verb = VERBS[method ?? ''] ?? '';
  if (isSubpath(path, '/stats')) return { verb, subresources: ['stats'] };
  if (isSubpath(path, '/metrics')) return { verb, subresources: ['metrics'] };
  if (isSubpath(path, '/logs')) return { verb, subresources: ['log'] };
  if (isSubpath(path, '/pods') || isSubpath(path, '/runningpods')) return { verb, subresources: ['pods', 'proxy'] };
  if (isSubpath(path, '/healthz')) return { verb, subresources: ['healthz', 'proxy'] };
  // /containerLogs, /exec, /attach, /portForward, /run and the rest: proxy, as on the kubelet.
  return { verb, subresources: ['proxy'] };
}

/** A Map that forgets entries after their own TTL and drops the oldest beyond `max`. */
class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires > Date.now()) return e.value;
    this.entries.delete(key);
    return undefined;
  }
  set(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: Date.now() + ttlMs });
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }
}

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The user of a verified client certificate (the kubelet's x509 authenticator: CN and O). */
function certificateUser(req: IncomingMessage): KubeletUser | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (!socket.authorized || !socket.getPeerCertificate) return undefined;
  const subject = socket.getPeerCertificate().subject as Record<string, string | string[] | undefined> | undefined;
  const name = asList(subject?.['CN'])[0];
  return name ? { name, groups: asList(subject?.['O']) } : undefined;
}

function bearerToken(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

export function kubeletAuth(o: KubeletAuthOptions): KubeletAuth {
  const authn = o.kubeConfig.makeApiClient(AuthenticationV1Api);
  const authz = o.kubeConfig.makeApiClient(AuthorizationV1Api);
  const max = o.maxEntries ?? 1024;
  const allowTtl = o.allowTtlMs ?? 300_000;
  const denyTtl = o.denyTtlMs ?? 30_000;
  const tokenTtl = o.tokenTtlMs ?? 120_000;
  const tokens = new TtlCache<KubeletUser | null>(max);
  const decisions = new TtlCache<boolean>(max);
  const authnTotal = o.metrics
    ? new Counter({ name: 'mikrotik_kube_vk_kubelet_api_authn_total', help: 'Kubelet API authentications by method (x509, token, none), result and whether the token review was cached.', labelNames: ['method', 'result', 'cached'], registers: [o.metrics] })
    : undefined;
  const authzTotal = o.metrics
    ? new Counter({ name: 'mikrotik_kube_vk_kubelet_api_authz_total', help: 'Kubelet API SubjectAccessReview decisions, and whether they came from the cache.', labelNames: ['decision', 'cached'], registers: [o.metrics] })
    : undefined;

  /** TokenReview, cached by the token's hash (the token itself is never kept). */
  async function tokenUser(token: string): Promise<KubeletUser | null> {
    const key = createHash('sha256').update(token).digest('hex');
    const hit = tokens.get(key);
    if (hit !== undefined) {
      authnTotal?.inc({ method: 'token', result: hit ? 'ok' : 'rejected', cached: 'true' });
      return hit;
    }
    const review = await authn.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } });
    const s = review.status;
    const user: KubeletUser | null = s?.authenticated && s.user?.username ? { name: s.user.username, uid: s.user.uid, groups: s.user.groups ?? [], extra: s.user.extra } : null;
    // A rejected token is remembered briefly, so a client retrying a bad token costs one review per denyTtl.
    tokens.set(key, user, user ? tokenTtl : denyTtl);
    authnTotal?.inc({ method: 'token', result: user ? 'ok' : 'rejected', cached: 'false' });
    return user;
  }

  async function allowed(user: KubeletUser, verb: string, subresource: string): Promise<boolean> {
    const key = JSON.stringify([user.name, user.uid ?? '', [...user.groups].sort(), user.extra ?? {}, verb, subresource]);
    const hit = decisions.get(key);
    if (hit !== undefined) {
      authzTotal?.inc({ decision: hit ? 'allow' : 'deny', cached: 'true' });
      return hit;
    }
    const review = await authz.createSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { user: user.name, uid: user.uid, groups: user.groups, extra: user.extra, resourceAttributes: { verb, group: '', version: 'v1', resource: 'nodes', subresource, name: o.nodeName } },
      },
    });
    const allow = review.status?.allowed === true && review.status.denied !== true;
    decisions.set(key, allow, allow ? allowTtl : denyTtl);
    authzTotal?.inc({ decision: allow ? 'allow' : 'deny', cached: 'false' });
    return allow;
  }

  return {
    async check(req) {
      let user = certificateUser(req);
      if (user) authnTotal?.inc({ method: 'x509', result: 'ok', cached: 'false' });
      else {
        const token = bearerToken(req);
        if (!token) {
          authnTotal?.inc({ method: 'none', result: 'rejected', cached: 'false' });
          return { ok: false, status: 401, message: 'Unauthorized' };
        }
        try {
          user = (await tokenUser(token)) ?? undefined;
        } catch (e) {
          // As the kubelet: a review that fails is an authentication failure (401), logged here.
          o.logger.error('kubelet API: TokenReview failed', { error: (e as Error).message });
          return { ok: false, status: 401, message: 'Unauthorized' };
        }
        if (!user) return { ok: false, status: 401, message: 'Unauthorized' };
      }
      const { verb, subresources } = requestAttributes(req.method, new URL(req.url ?? '/', 'https://kubelet').pathname);
      const describe = `user=${user.name}, verb=${verb}, resource=nodes, subresource=${subresources.join(',')}`;
      try {
        for (const sub of subresources) if (await allowed(user, verb, sub)) return { ok: true, user };
      } catch (e) {
        o.logger.error('kubelet API: SubjectAccessReview failed', { user: user.name, verb, subresources, error: (e as Error).message });
        return { ok: false, status: 500, message: `Authorization error (${describe})` };
      }
      o.logger.debug('kubelet API: forbidden', { user: user.name, verb, subresources });
      return { ok: false, status: 403, message: `Forbidden (${describe})` };
    },
  };
}
