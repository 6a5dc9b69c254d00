// The Images and Volumes gRPC services (proto/mikrotik/kube/v1/images.proto) over the
// image manager, GC, volume manager and orphan cleaner: request mapping, progress
// streaming, and domain errors as status codes.
import type { ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { grpcError, status } from '@mikrotik-kube/grpc-kit';
import type { kube } from '@mikrotik-kube/proto';
import type { DeliveryMode } from './delivery';
import { StorageError, type StorageErrorKind } from './errors';
import type { GarbageCollector } from './gc';
import type { EnsuredImage, ImageManager } from './images';
import type { OrphanCleaner } from './orphans';
import type { VolumeManager } from './volumes';

const CODES: Record<StorageErrorKind, status> = {
  invalid: status.INVALID_ARGUMENT,
  'not-found': status.NOT_FOUND,
  precondition: status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
  internal: status.INTERNAL,
};

export function toGrpc(err: unknown): Error {
  if (err instanceof StorageError) return grpcError(CODES[err.kind], err.message);
  return err instanceof Error ? err : new Error(String(err));
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toGrpc(e);
  }
}

const DELIVERY: Record<string, DeliveryMode | undefined> = {
  DELIVERY_DEFAULT: undefined,
  DELIVERY_FETCH: 'fetch',
  DELIVERY_SFTP: 'sftp',
  DELIVERY_REMOTE: 'remote',
};

export function toImageResult(r: EnsuredImage): kube.ImageResult {
  return {
    image: r.image,
    manifest_digest: r.manifestDigest,
    config_digest: r.configDigest,
    architecture: r.architecture,
    router_file: r.routerFile,
    remote_image: r.remoteImage,
    size_bytes: r.sizeBytes,
    cached: r.cached,
  };
}

type Unary<T> = ServerUnaryCall<T, unknown>;

export function imagesHandlers(images: ImageManager, gc: GarbageCollector, gcDryRunOnly: boolean) {
  return {
    EnsureImage: async (call: ServerWritableStream<kube.EnsureImageRequest__Output, kube.EnsureImageEvent>) => {
      const { image, architecture, delivery } = call.request;
      const result = await guard(() =>
        images.ensure(image, architecture, DELIVERY[delivery], (p) => {
          if (!call.cancelled) call.write({ progress: { phase: p.phase, bytes_done: p.bytesDone, bytes_total: p.bytesTotal, message: p.message } });
        }),
      );
      call.write({ result: toImageResult(result) });
      call.end();
    },
    ListImages: async () => ({ images: images.list().map(toImageResult) }),
    CollectGarbage: (call: Unary<kube.CollectGarbageRequest__Output>) =>
      guard(async () => {
        const r = await gc.run(call.request.dry_run || gcDryRunOnly);
        return { removed: r.removed, freed_bytes: r.freedBytes, in_use: r.inUse };
      }),
  };
}

export function volumesHandlers(volumes: VolumeManager, orphans: OrphanCleaner) {
  return {
    ProvisionVolume: (call: Unary<kube.ProvisionVolumeRequest__Output>) => guard(() => volumes.provision(call.request)),
    ReleasePodVolumes: (call: Unary<kube.ReleasePodVolumesRequest__Output>) =>
      guard(async () => ({ released: await volumes.release(call.request.namespace, call.request.pod) })),
    ListVolumes: (call: Unary<kube.ListVolumesRequest__Output>) =>
      guard(async () => ({ volumes: await volumes.list(call.request.namespace, call.request.pod) })),
    CleanupOrphans: (call: Unary<kube.CleanupOrphansRequest__Output>) =>
      guard(async () => orphans.run(call.request.live_pods, call.request.dry_run)),
  };
}
