// ipam: container addresses on the router's bridges (libs/ipam). Wiring only: config, the
// ipam part (libs/ipam/src/part.ts, also hosted by the all-in-one process) on its own gRPC port.
import { serveGrpcPart, serviceGrpcServer } from '@mikrotik-kube/grpc-kit';
import { configOrExit, createService } from '@mikrotik-kube/service-kit';
import { type IpamConfig, ipamPart, ipamSchema } from '@mikrotik-kube/ipam';

const svc = createService<IpamConfig>({ name: 'ipam', envPrefix: 'IPAM_', schema: ipamSchema });
const part = configOrExit(svc.name, () => ipamPart(svc.config));
const grpc = serviceGrpcServer(svc);
await serveGrpcPart(svc, grpc, part.start(svc, grpc), svc.config.shutdownTimeoutSeconds * 800);
