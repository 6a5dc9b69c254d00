// A part's gRPC services on the service's own listener (microservices mode): the listener opens
// after the ops port, and grpc.health.v1 says SERVING once the part is ready.
import { type BaseConfig, type Running, type Service, servePart } from '@mikrotik-kube/service-kit';
import { GrpcServer } from './server';

/** The server a part adds its services to, from the service's grpc config. */
export function serviceGrpcServer(svc: Service<BaseConfig>): GrpcServer {
  const c = svc.config.grpc;
  return new GrpcServer({ logger: svc.logger, metrics: svc.metrics, maxMessageBytes: c.maxMessageBytes, tokenFile: c.tokenFile });
}

/** `drainMs`: how long SIGTERM lets calls in flight finish. */
export function serveGrpcPart(svc: Service<BaseConfig>, server: GrpcServer, running: Running, drainMs: number): Promise<void> {
  return servePart(svc, running, {
    listen: async () => {
      const c = svc.config.grpc;
      await server.listen(`${c.host}:${c.port}`);
      server.setServing(false);
      svc.shutdown.add('grpc server', () => server.shutdown(drainMs));
    },
    onReady: () => server.setServing(true),
  });
}
