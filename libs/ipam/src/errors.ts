// Failures of the ipam domain, mapped to gRPC status codes in service.ts.
/** `aborted`: lost a race with another replica (e.g. a Release of the same owner); retrying is right. */
export type IpamErrorKind = 'invalid' | 'not-found' | 'exhausted' | 'conflict' | 'aborted' | 'not-ready' | 'internal';

export class IpamError extends Error {
  constructor(
    readonly kind: IpamErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'IpamError';
  }
}
