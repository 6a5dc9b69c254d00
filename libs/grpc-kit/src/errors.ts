// gRPC status errors with meaningful codes (libs/grpc-kit/README.md).
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';

export { status };

export class GrpcError extends Error implements Partial<ServiceError> {
  readonly metadata = new Metadata();
  constructor(
    readonly code: status,
    readonly details: string,
  ) {
    super(details);
    this.name = 'GrpcError';
  }
}

export const grpcError = (code: status, message: string) => new GrpcError(code, message);

/** Normalises anything thrown by a handler into a status error. */
export function toServiceError(err: unknown): Partial<ServiceError> & { code: status; details: string } {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'number') {
    const e = err as { code: number; details?: string; message?: string };
    if (e.code >= 0 && e.code <= 16) return { code: e.code, details: e.details ?? e.message ?? '' };
  }
  return { code: status.INTERNAL, details: err instanceof Error ? err.message : String(err) };
}

export const codeName = (code: number): string => status[code] ?? String(code);
