// storage-converter: images → RouterOS tarballs on the router, and pod volumes (libs/storage-converter).
// Wiring only: config, the storage part (libs/storage-converter/src/part.ts, also hosted by the
// all-in-one process) on its own gRPC port.
import { serveGrpcPart, serviceGrpcServer } from '@mikrotik-kube/grpc-kit';
import { configOrExit, createService } from '@mikrotik-kube/service-kit';
import { type StorageConfig, storagePart, storageSchema } from '@mikrotik-kube/storage-converter';

const svc = createService<StorageConfig>({ name: 'storage-converter', envPrefix: 'STORAGE_CONVERTER_', schema: storageSchema });
const part = configOrExit(svc.name, () => storagePart(svc.config));
const grpc = serviceGrpcServer(svc);
await serveGrpcPart(svc, grpc, await part.start(svc, grpc), svc.config.shutdownTimeoutSeconds * 800);
