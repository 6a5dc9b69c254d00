// Typed errors so callers (the CSI controller) can map outcomes to gRPC codes
// without matching on message text.

export type RdsErrorKind =
  | 'invalid-input' // refused before anything was sent
  | 'not-found'
  | 'already-exists'
  | 'no-space'
  | 'transport' // connection failed or dropped; safe to retry after reconnect
  | 'timeout' // the command may or may not have run; retry only idempotent work
  | 'host-key' // server identity does not match the pin
  | 'auth'
  | 'router'; // any other RouterOS error line

export class RdsError extends Error {
  constructor(
    readonly kind: RdsErrorKind,
    message: string,
    /** The command line sent, when one was sent. */
    readonly command?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RdsError';
  }

  /** True when the same call may succeed on a fresh connection. */
  get retryable(): boolean {
    return this.kind === 'transport' || this.kind === 'timeout';
  }
}

export const isRdsError = (e: unknown, kind?: RdsErrorKind): e is RdsError =>
  e instanceof RdsError && (kind === undefined || e.kind === kind);

/** RouterOS prints errors on stdout as plain lines; these are the shapes we know. */
// Error lines start at column 0; print rows and continuation lines never match
// because they start with an index or indentation.
const ERROR_LINE =
  /^(failure: |syntax error|no such item|input does not match any value of |bad command name |expected end of command|invalid value |value of .* out of range|unknown parameter|missing value|ambiguous value of |expected command name|not enough permissions|[a-z].* \(line \d+ column \d+\)$)/;

/** Returns the first RouterOS error line in `output`, or undefined. */
export function findRouterError(output: string): string | undefined {
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (ERROR_LINE.test(line)) return line;
  }
  return undefined;
}

/** Maps a RouterOS error line to a typed error. */
export function routerError(line: string, command: string): RdsError {
  const l = line.toLowerCase();
  if (l.includes('not enough space')) return new RdsError('no-space', line, command);
  if (l.includes('no such item') || l.includes('no such file')) return new RdsError('not-found', line, command);
  if (l.includes('already have') || l.includes('already exists')) return new RdsError('already-exists', line, command);
  return new RdsError('router', line, command);
}
