// Capacity ranges → the byte size to create: at least 1 GiB, rounded up to whole MiB, never
// above limit_bytes or the maximum volume size.
import { grpcError, status } from '@mikrotik-kube/grpc-kit';
import type { csi } from '@mikrotik-kube/proto';

export const GiB = 2 ** 30;
const MiB = 2 ** 20;

export interface Range {
  required: number;
  limit: number;
}

export function readRange(r: csi.CapacityRange__Output | null | undefined): Range {
  const required = Number(r?.required_bytes ?? 0);
  const limit = Number(r?.limit_bytes ?? 0);
  if (required < 0 || limit < 0) throw grpcError(status.INVALID_ARGUMENT, 'capacity_range bytes must not be negative');
  if (limit && required > limit) throw grpcError(status.INVALID_ARGUMENT, `required_bytes ${required} exceeds limit_bytes ${limit}`);
  return { required, limit };
}

export function sizeFor(range: Range, maxBytes: number): number {
  const size = Math.ceil(Math.max(range.required, GiB) / MiB) * MiB;
  if (range.limit && size > range.limit) {
    throw grpcError(status.OUT_OF_RANGE, `volumes are at least 1 GiB in whole MiB; ${size} bytes exceeds limit_bytes ${range.limit}`);
  }
  if (size > maxBytes) throw grpcError(status.OUT_OF_RANGE, `${size} bytes exceeds the maximum volume size ${maxBytes}`);
  return size;
}

/** Whether an existing size satisfies a request (CreateVolume idempotency). */
export const fits = (bytes: number, range: Range): boolean => bytes >= range.required && (!range.limit || bytes <= range.limit);
