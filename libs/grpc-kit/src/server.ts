// gRPC server bootstrap: grpc.health.v1, per-RPC logging and metrics
// (count, errors by code, latency), message size limits, graceful drain.
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { malformedRequest } from '@mikrotik-kube/proto';
import type { Logger } from '@mikrotik-kube/service-kit';
import { Counter, Histogram, type Registry } from 'prom-client';
import { codeName, toServiceError } from './errors';
import { tokenFromFile, tokenProblem, type TokenSource } from './token';

export interface GrpcServerOptions {
  logger: Logger;
  metrics: Registry;
  maxMessageBytes?: number;
  /** Extra channel options (e.g. keepalive). */
  channelOptions?: grpc.ChannelOptions;
  /**
   * A file holding the bearer token calls must carry (UNAUTHENTICATED otherwise);
   * grpc.health.v1 stays open. Empty or unset: no authentication (unix sockets, tests).
   */
  tokenFile?: string;
}

type AnyHandler = (...args: never[]) => unknown;
/** Async-friendly handlers: unary handlers may return a promise instead of calling back. */
export type UnaryHandler<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>;

export class GrpcServer {
  readonly server: grpc.Server;
  readonly health = new HealthImplementation({ '': 'NOT_SERVING' });
  private readonly services: string[] = [];
  private readonly handled: Counter<'grpc_service' | 'grpc_method' | 'grpc_code'>;
  private readonly latency: Histogram<'grpc_service' | 'grpc_method'>;
  private readonly started: Counter<'grpc_service' | 'grpc_method'>;
  private readonly token: TokenSource | undefined;

  constructor(private readonly opts: GrpcServerOptions) {
    const max = opts.maxMessageBytes ?? 4 * 1024 * 1024;
    this.token = opts.tokenFile ? tokenFromFile(opts.tokenFile) : undefined;
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': max,
      'grpc.max_send_message_length': max,
      ...opts.channelOptions,
    });
    this.health.addToServer(this.server);
    const registers = [opts.metrics];
    this.started = new Counter({
      name: 'mikrotik_kube_grpc_server_started_total',
      help: 'RPCs started on the server.',
      labelNames: ['grpc_service', 'grpc_method'],
      registers,
    });
    this.handled = new Counter({
      name: 'mikrotik_kube_grpc_server_handled_total',
      help: 'RPCs completed on the server, by status code.',
      labelNames: ['grpc_service', 'grpc_method', 'grpc_code'],
      registers,
    });
    this.latency = new Histogram({
      name: 'mikrotik_kube_grpc_server_handling_seconds',
      help: 'RPC handling latency.',
      labelNames: ['grpc_service', 'grpc_method'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
  }

  /**
   * Adds a service. Unary handlers may be `async (call) => response`; they
   * may also use the classic (call, callback) form. Thrown errors carrying a
   * gRPC `code` keep it; anything else becomes INTERNAL.
   */
  addService(definition: grpc.ServiceDefinition, impl: Record<string, AnyHandler>): void {
    const wrapped: grpc.UntypedServiceImplementation = {};
    let serviceName = '';
    for (const [key, method] of Object.entries(definition)) {
      const handler = impl[key] ?? impl[method.originalName ?? key];
      if (!handler) throw new Error(`handler missing for ${method.path}`);
      const [, svc = '', name = key] = /^\/([^/]+)\/([^/]+)$/.exec(method.path) ?? [];
      serviceName = svc;
      wrapped[key] = this.wrap(svc, name, method, handler);
    }
    this.server.addService(definition, wrapped);
    this.services.push(serviceName);
  }

  private observe(svc: string, method: string, start: bigint, code: number, details?: string): void {
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    this.handled.inc({ grpc_service: svc, grpc_method: method, grpc_code: codeName(code) });
    this.latency.observe({ grpc_service: svc, grpc_method: method }, seconds);
    const meta = { rpc: `${svc}/${method}`, code: codeName(code), ms: Math.round(seconds * 1000) };
    if (code === grpc.status.OK) this.opts.logger.debug('rpc', meta);
    else this.opts.logger.info('rpc failed', { ...meta, details });
  }

  /** A call refused before its handler: no or a wrong token, or a malformed request. */
  private refusal(call: { metadata: grpc.Metadata; request?: unknown }): grpc.ServiceError | undefined {
    const denied = this.token && tokenProblem(call.metadata, this.token);
    if (denied) return { code: grpc.status.UNAUTHENTICATED, details: denied, message: denied } as grpc.ServiceError;
    const malformed = malformedRequest(call.request);
    if (malformed) return { code: grpc.status.INVALID_ARGUMENT, details: malformed, message: malformed } as grpc.ServiceError;
    return undefined;
  }

  private wrap(
    svc: string,
    name: string,
    method: grpc.MethodDefinition<unknown, unknown>,
    handler: AnyHandler,
  ): grpc.UntypedHandleCall {
    const h = handler as (...args: unknown[]) => unknown;
    const begin = () => {
      this.started.inc({ grpc_service: svc, grpc_method: name });
      return process.hrtime.bigint();
    };
    if (!method.requestStream && !method.responseStream) {
      return (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const start = begin();
        let done = false;
        const finish: grpc.sendUnaryData<unknown> = (err, value) => {
          if (done) return;
          done = true;
          if (err) {
            const e = toServiceError(err);
            this.observe(svc, name, start, e.code, e.details);
            callback(e, null);
          } else {
            this.observe(svc, name, start, grpc.status.OK);
            callback(null, value);
          }
        };
        const refused = this.refusal(call);
        if (refused) return finish(refused, null);
        try {
          const result = h.length >= 2 ? h(call, finish) : h(call);
          if (result && typeof (result as Promise<unknown>).then === 'function') {
            (result as Promise<unknown>).then(
              (value) => {
                if (h.length < 2) finish(null, value);
              },
              (err: unknown) => finish(err as grpc.ServiceError, null),
            );
          }
        } catch (err) {
          finish(err as grpc.ServiceError, null);
        }
      };
    }
    // Streaming calls: observe the end of the call from its events.
    return ((call: grpc.ServerWritableStream<unknown, unknown>, ...rest: unknown[]) => {
      const start = begin();
      let observed = false;
      const end = (code: number, details?: string) => {
        if (observed) return;
        observed = true;
        this.observe(svc, name, start, code, details);
      };
      call.on('finish', () => end(grpc.status.OK));
      call.on('error', (err: grpc.ServiceError) => end(err.code ?? grpc.status.UNKNOWN, err.details));
      call.on('cancelled', () => end(grpc.status.CANCELLED));
      const refused = this.refusal(call);
      if (refused) {
        call.emit('error', refused);
        return;
      }
      const result = h(call, ...rest);
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        (result as Promise<unknown>).catch((err: unknown) => {
          const e = toServiceError(err);
          if (method.responseStream) (call as unknown as { emit(e: string, v: unknown): void }).emit('error', e);
          end(e.code, e.details);
        });
      }
    }) as grpc.UntypedHandleCall;
  }

  /** Binds (e.g. "127.0.0.1:0" or "unix:///run/csi.sock") and marks every service SERVING. */
  async listen(address: string, credentials = grpc.ServerCredentials.createInsecure()): Promise<number> {
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(address, credentials, (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.setServing(true);
    this.opts.logger.info('grpc server listening', { address, port, services: this.services });
    return port;
  }

  setServing(serving: boolean): void {
    const s = serving ? 'SERVING' : 'NOT_SERVING';
    this.health.setStatus('', s);
    for (const svc of this.services) this.health.setStatus(svc, s);
  }

  /** Stops accepting calls, lets in-flight calls finish, forces after timeoutMs. */
  async shutdown(timeoutMs: number): Promise<void> {
    this.setServing(false);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.opts.logger.warn('grpc drain timed out, cancelling in-flight calls');
        this.server.forceShutdown();
        resolve();
      }, timeoutMs);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
