// Shared-token authentication between our own services: every call carries
// `authorization: Bearer <token>`, the server compares it in constant time. The
// token is a mounted Secret file, re-read now and then so a rotated Secret takes
// effect without a restart.
import { timingSafeEqual, createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

/** The current token; throws when the file is missing or empty (refuse rather than open up). */
export type TokenSource = () => string;

export function tokenFromFile(path: string, recheckMs = 10_000): TokenSource {
  let token = '';
  let mtime = -1;
  let checked = 0;
  const read = () => {
    const m = statSync(path).mtimeMs;
    if (m !== mtime) {
      const t = readFileSync(path, 'utf8').trim();
      if (!t) throw new Error(`grpc token file ${path} is empty`);
      token = t;
      mtime = m;
    }
    checked = Date.now();
  };
  read();
  return () => {
    if (Date.now() - checked > recheckMs) {
      try {
        read();
      } catch {
        // Keep the last good token while a Secret update is half-written.
      }
    }
    return token;
  };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Why the call's metadata does not carry the token, or undefined when it does. */
export function tokenProblem(metadata: grpc.Metadata, token: TokenSource): string | undefined {
  const header = metadata.get('authorization')[0];
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return 'this service needs a bearer token';
  // Hashes have equal length, so the comparison takes the same time whatever was sent.
  return timingSafeEqual(digest(header.slice(7)), digest(token())) ? undefined : 'bearer token does not match';
}

/** Adds the token to every call of a client. */
export function tokenInterceptor(token: TokenSource): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', `Bearer ${token()}`);
        next(metadata, listener);
      },
    });
}
