// Failures of the ipam domain, mapped to gRPC status codes in service.ts.
export type IpamErrorKind = 'invalid' | 'not-found' | 'exhausted' | 'conflict' | 'not-ready' | 'internal';

export class IpamError extends Error {
  constructor(
    readonly kind: IpamErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'IpamError';
  }
}
