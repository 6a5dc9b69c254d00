// RouterOS-shaped errors. The REST layer turns them into {"error":N,"message":…,"detail":…}
// bodies; the SSH CLI prints the same detail text, so both faces report one behaviour.

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

export function httpReason(status: number): string {
  return REASONS[status] ?? 'Error';
}

export class RosError extends Error {
  constructor(
    readonly status: number,
    /** The router's message, e.g. `failure: already have such entry`; absent on a plain 404. */
    readonly detail?: string,
  ) {
    super(detail ?? httpReason(status));
    this.name = 'RosError';
  }

  /** The JSON body RouterOS sends, keys in the router's (alphabetical) order. */
  body(): { detail?: string; error: number; message: string } {
    return this.detail === undefined
      ? { error: this.status, message: httpReason(this.status) }
      : { detail: this.detail, error: this.status, message: httpReason(this.status) };
  }
}

/** Unknown id in a valid menu, or a second DELETE. */
export const notFound = (): RosError => new RosError(404);
/** Argument and command failures: the detail is the console's error text. */
export const badRequest = (detail: string): RosError => new RosError(400, detail);
export const unknownParameter = (name: string): RosError => badRequest(`unknown parameter ${name}`);
export const invalidValue = (name: string): RosError => badRequest(`invalid value for argument ${name}`);
export const missingArgument = (name: string): RosError => badRequest(`missing =${name}=`);
export const noSuchItem = (field: string): RosError => badRequest(`input does not match any value of ${field}`);
