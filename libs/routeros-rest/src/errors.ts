// RouterOS REST failures as one typed error. `kind` says what happened, `retryable` whether
// repeating the same idempotent call may succeed, `detail` is the router's own message.

export type RouterOsErrorKind =
  | 'not-found' // 404: no such item
  | 'duplicate' // 400 `failure: already have …` / `… already exists` / `already added`
  | 'invalid' // 400 argument or command errors (unknown parameter, invalid value, no such command)
  | 'unauthorized' // 401
  | 'forbidden' // 403 (REST disabled for the protocol) or missing policy
  | 'too-large' // 413: RouterOS refuses bodies over ~10 MB
  | 'session-closed' // 400 `Session closed`: the 60 s limit hit this request or one queued before it
  | 'timeout' // our per-call timeout expired
  | 'unavailable' // connection refused/reset, 5xx: the router is busy or restarting
  | 'tls' // certificate not trusted or TLS handshake refused
  | 'protocol'; // a reply RouterOS would not send (bad JSON, wrong shape)

const RETRYABLE: ReadonlySet<RouterOsErrorKind> = new Set(['session-closed', 'timeout', 'unavailable']);

export interface RouterOsErrorInit {
  kind: RouterOsErrorKind;
  method: string;
  path: string;
  status?: number;
  detail?: string;
  cause?: unknown;
}

export class RouterOsError extends Error {
  readonly kind: RouterOsErrorKind;
  /** HTTP status when the router answered. */
  readonly status: number | undefined;
  /** The router's `detail` (console error text), when it sent one. */
  readonly detail: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly retryable: boolean;

  constructor(init: RouterOsErrorInit) {
    const what = init.detail ?? (init.cause instanceof Error ? init.cause.message : init.kind);
    super(`RouterOS ${init.method} ${init.path}: ${init.status ? `${init.status} ` : ''}${what}`, { cause: init.cause });
    this.name = 'RouterOsError';
    this.kind = init.kind;
    this.status = init.status;
    this.detail = init.detail;
    this.method = init.method;
    this.path = init.path;
    this.retryable = RETRYABLE.has(init.kind);
  }
}

export function isRouterOsError(e: unknown, kind?: RouterOsErrorKind): e is RouterOsError {
  return e instanceof RouterOsError && (kind === undefined || e.kind === kind);
}

/**
 * Runs a removal for which "no such item" means done (another replica, a retry or the user
 * removed it first): true when it removed something, false when it was already gone.
 */
export async function removeIgnoringMissing(remove: () => Promise<unknown>): Promise<boolean> {
  try {
    await remove();
    return true;
  } catch (e) {
    if (isRouterOsError(e, 'not-found')) return false;
    throw e;
  }
}

/** Classifies an HTTP error reply from its status and RouterOS detail. */
export function kindForStatus(status: number, detail: string | undefined): RouterOsErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 413) return 'too-large';
  if (status >= 500) return /not allowed|not enough permissions/.test(detail ?? '') ? 'forbidden' : 'unavailable';
  if (detail === 'Session closed') return 'session-closed';
  if (detail && /already have|already exists|already added|such name already/.test(detail)) return 'duplicate';
  // An unknown `.id` in a POST command body is the API's `no such item` trap.
  if (detail && /^no such item/.test(detail)) return 'not-found';
  return 'invalid';
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);

/** Classifies a transport failure (no HTTP reply). */
export function kindForTransport(code: string | undefined, name: string | undefined): RouterOsErrorKind {
  if (name === 'TimeoutError' || code === 'ETIMEDOUT') return 'timeout';
  if (code && (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code) || code === 'EPROTO')) return 'tls';
  if (code && NETWORK_CODES.has(code)) return 'unavailable';
  if (name === 'ReadError' || name === 'RequestError') return 'unavailable';
  return 'protocol';
}
