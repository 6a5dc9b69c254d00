// boot-supervisor: systemd-like boot order, probes and watchdog for RouterOS containers
// (libs/boot-supervisor). Wiring only: config, the supervisor part (libs/boot-supervisor/src/part.ts,
// also hosted by the all-in-one process) on its own gRPC port.
import { serveGrpcPart, serviceGrpcServer } from '@mikrotik-kube/grpc-kit';
import { createService } from '@mikrotik-kube/service-kit';
import { configSchema, startSupervisor, type SupervisorConfig } from '@mikrotik-kube/boot-supervisor';

const svc = createService<SupervisorConfig>({ name: 'boot-supervisor', envPrefix: 'BOOT_SUPERVISOR_', schema: configSchema });
const grpc = serviceGrpcServer(svc);
await serveGrpcPart(svc, grpc, startSupervisor(svc, grpc, svc.config), svc.config.shutdownTimeoutSeconds * 500);
