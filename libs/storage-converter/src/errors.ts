// Domain failures with a kind the gRPC layer maps to a status code (service.ts).
export type StorageErrorKind = 'invalid' | 'not-found' | 'precondition' | 'unavailable' | 'internal';

export class StorageError extends Error {
  constructor(
    readonly kind: StorageErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

export const invalid = (msg: string) => new StorageError('invalid', msg);
export const notFound = (msg: string) => new StorageError('not-found', msg);
export const precondition = (msg: string) => new StorageError('precondition', msg);
export const unavailable = (msg: string) => new StorageError('unavailable', msg);
