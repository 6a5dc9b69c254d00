// CSI gRPC server on a unix socket: removes a stale socket file, serves the given services
// through grpc-kit's GrpcServer (per-RPC logs and metrics, grpc.health.v1) and, by default,
// fronts it with the :authority fix (authority-proxy.ts) so old grpc-go clients work too.
import { existsSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { GrpcServer, type GrpcServerOptions } from '@mikrotik-kube/grpc-kit';
import { startAuthorityProxy, type AuthorityProxy } from './authority-proxy';

export interface CsiService {
  definition: grpc.ServiceDefinition;
  // Handlers are checked against the definition by GrpcServer.addService.
  impl: Record<string, (...args: never[]) => unknown>;
}

export interface CsiServerOptions extends GrpcServerOptions {
  /** `unix:///path/csi.sock` (or `unix:/path`, or a bare absolute path). */
  endpoint: string;
  services: CsiService[];
  /** Rewrite an empty or socket-path `:authority` (default true). */
  authorityFix?: boolean;
}

export interface CsiServer {
  grpc: GrpcServer;
  /** Socket path clients connect to. */
  socketPath: string;
  /** Header blocks whose authority was rewritten (0 when the fix is off). */
  authorityRewrites(): number;
  stop(timeoutMs: number): Promise<void>;
}

/** The socket path of a CSI endpoint; throws on anything but a unix endpoint. */
export function socketPathOf(endpoint: string): string {
  const m = /^unix:(?:\/\/)?(\/.+)$/.exec(endpoint) ?? /^(\/.+)$/.exec(endpoint);
  if (!m?.[1]) throw new Error(`CSI endpoint must be unix:///absolute/path, got ${JSON.stringify(endpoint)}`);
  return m[1];
}

/** Removes a socket file left by a previous run; refuses to remove anything else. */
function removeStaleSocket(path: string): void {
  if (!existsSync(path)) return;
  if (!statSync(path).isSocket()) throw new Error(`${path} exists and is not a socket; refusing to remove it`);
  unlinkSync(path);
}

export async function startCsiServer(opts: CsiServerOptions): Promise<CsiServer> {
  const socketPath = socketPathOf(opts.endpoint);
  mkdirSync(dirname(socketPath), { recursive: true });
  const fix = opts.authorityFix ?? true;
  const grpcPath = fix ? join(dirname(socketPath), `.${basename(socketPath)}.grpc`) : socketPath;
  removeStaleSocket(socketPath);
  removeStaleSocket(grpcPath);

  const server = new GrpcServer(opts);
  for (const s of opts.services) server.addService(s.definition, s.impl);
  await server.listen(`unix://${grpcPath}`);
  let proxy: AuthorityProxy | undefined;
  if (fix) proxy = await startAuthorityProxy(socketPath, grpcPath);
  return {
    grpc: server,
    socketPath,
    authorityRewrites: () => proxy?.rewritten() ?? 0,
    async stop(timeoutMs) {
      await proxy?.close();
      await server.shutdown(timeoutMs);
      for (const p of [socketPath, grpcPath]) if (existsSync(p)) unlinkSync(p);
    },
  };
}
