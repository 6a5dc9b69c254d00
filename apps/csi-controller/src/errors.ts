// One place that turns backend failures into CSI status codes.
import { grpcError, status } from '@mikrotik-kube/grpc-kit';
import { ParamError } from '@mikrotik-kube/csi-common';
import { RdsError, type RdsErrorKind } from '@mikrotik-kube/rds-ssh';

const CODES: Record<RdsErrorKind, status> = {
  'invalid-input': status.INVALID_ARGUMENT,
  'not-found': status.NOT_FOUND,
  'already-exists': status.ALREADY_EXISTS,
  'no-space': status.RESOURCE_EXHAUSTED,
  // The sidecars retry these with the same arguments ("in progress / try again").
  transport: status.UNAVAILABLE,
  timeout: status.DEADLINE_EXCEEDED,
  'host-key': status.UNAVAILABLE,
  auth: status.UNAVAILABLE,
  router: status.INTERNAL,
};

export function toCsiError(e: unknown): unknown {
  if (e instanceof RdsError) return grpcError(CODES[e.kind], `rds: ${e.message}`);
  if (e instanceof ParamError) return grpcError(status.INVALID_ARGUMENT, e.message);
  return e;
}

/** Wraps every handler of a service so thrown backend errors carry CSI codes. */
export function withCsiErrors<T extends Record<string, (call: never) => Promise<unknown>>>(handlers: T): T {
  const out: Record<string, (call: never) => Promise<unknown>> = {};
  for (const [k, h] of Object.entries(handlers)) {
    out[k] = async (call: never) => {
      try {
        return await h(call);
      } catch (e) {
        throw toCsiError(e);
      }
    };
  }
  return out as T;
}
