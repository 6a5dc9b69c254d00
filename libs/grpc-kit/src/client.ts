// gRPC clients with a default deadline on every call and transparent retry of
// UNAVAILABLE with exponential backoff (grpc-js retry service config).
import * as grpc from '@grpc/grpc-js';
import { tokenFromFile, tokenInterceptor } from './token';

export interface ClientOptions {
  /** Default deadline for calls that set none. */
  deadlineMs?: number;
  /** Total attempts for UNAVAILABLE (1 disables retry). */
  maxAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxMessageBytes?: number;
  credentials?: grpc.ChannelCredentials;
  /** A file holding the bearer token sent on every call (servers with a tokenFile require it). */
  tokenFile?: string;
}

type ClientCtor<C> = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => C;

function deadlineInterceptor(deadlineMs: number): grpc.Interceptor {
  return (options, nextCall) => {
    if (options.deadline === undefined) options.deadline = new Date(Date.now() + deadlineMs);
    return new grpc.InterceptingCall(nextCall(options));
  };
}

export function createClient<C extends grpc.Client>(Ctor: ClientCtor<C>, address: string, opts: ClientOptions = {}): C {
  const attempts = Math.max(1, Math.min(opts.maxAttempts ?? 5, 5));
  const serviceConfig = {
    methodConfig: [
      {
        name: [{}],
        retryPolicy:
          attempts > 1
            ? {
                maxAttempts: attempts,
                initialBackoff: `${(opts.initialBackoffMs ?? 100) / 1000}s`,
                maxBackoff: `${(opts.maxBackoffMs ?? 2000) / 1000}s`,
                backoffMultiplier: 2,
                retryableStatusCodes: ['UNAVAILABLE'],
              }
            : undefined,
      },
    ],
  };
  const max = opts.maxMessageBytes ?? 4 * 1024 * 1024;
  return new Ctor(address, opts.credentials ?? grpc.credentials.createInsecure(), {
    'grpc.service_config': JSON.stringify(serviceConfig),
    'grpc.enable_retries': attempts > 1 ? 1 : 0,
    'grpc.max_receive_message_length': max,
    'grpc.max_send_message_length': max,
    interceptors: [deadlineInterceptor(opts.deadlineMs ?? 30_000), ...(opts.tokenFile ? [tokenInterceptor(tokenFromFile(opts.tokenFile))] : [])],
  });
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, value?: Res) => void,
) => grpc.ClientUnaryCall;

/**
 * Request and reply types of a generated unary method. Generated clients
 * declare several overloads; the last one is `(argument, callback)`, which is
 * the one TypeScript matches here.
 */
type UnaryTypes<F> = F extends (argument: infer Q, callback: grpc.requestCallback<infer R>) => grpc.ClientUnaryCall
  ? { req: Q; res: R }
  : { req: unknown; res: unknown };

/** Promise form of a unary call: `await unary(client, 'Allocate', req)`, typed from the generated client. */
export function unary<C extends grpc.Client, K extends keyof C & string>(
  client: C,
  method: K,
  request: UnaryTypes<C[K]>['req'],
  options: grpc.CallOptions = {},
): Promise<UnaryTypes<C[K]>['res']> {
  const fn = client[method] as unknown as UnaryMethod<unknown, UnaryTypes<C[K]>['res']>;
  return new Promise((resolve, reject) => {
    fn.call(client, request, new grpc.Metadata(), options, (err, value) =>
      err ? reject(err) : resolve(value as UnaryTypes<C[K]>['res']),
    );
  });
}

/** Closes clients on shutdown. */
export function closeClient(client: grpc.Client): void {
  client.close();
}
