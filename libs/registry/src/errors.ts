// The distribution spec's error codes with their HTTP statuses; handlers and
// stores throw RegistryError and the server renders `{"errors":[…]}`.
export const ErrorCodes = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  RANGE_INVALID: 416,
  UNKNOWN: 500,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class RegistryError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    opts: { status?: number; detail?: unknown } = {},
  ) {
    super(message);
    this.name = 'RegistryError';
    this.status = opts.status ?? ErrorCodes[code];
    this.detail = opts.detail;
  }

  readonly detail: unknown;

  toJSON(): { errors: Array<{ code: string; message: string; detail?: unknown }> } {
    const code = this.code === 'RANGE_INVALID' ? 'BLOB_UPLOAD_INVALID' : this.code;
    return { errors: [{ code, message: this.message, ...(this.detail === undefined ? {} : { detail: this.detail }) }] };
  }
}
