// PodServices over gRPC: ipam, storage-converter (Images, Volumes) and
// boot-supervisor, with grpc-kit's deadlines and UNAVAILABLE retries.
import { createClient, unary } from '@mikrotik-kube/grpc-kit';
import { contracts, type kube } from '@mikrotik-kube/proto';
import type { ImageOnRouter, PodServices, SupervisorService, UnitStatus } from '../core/services';

export interface ServiceAddresses {
  ipam: string;
  storage: string;
  supervisor: string;
}

export interface GrpcPodServices extends PodServices {
  close(): void;
}

/** Image conversion and delivery can take minutes for big images. */
const IMAGE_DEADLINE_MS = 15 * 60_000;

/** `tokenFile`: the bearer token the services require (grpc.tokenFile, shared by the release). */
export function grpcPodServices(addr: ServiceAddresses, deadlineMs = 60_000, tokenFile = ''): GrpcPodServices {
  const auth = tokenFile ? { tokenFile } : {};
  const ipam = createClient(contracts.ipam().Ipam, addr.ipam, { deadlineMs, ...auth });
  const images = createClient(contracts.images().Images, addr.storage, { deadlineMs: IMAGE_DEADLINE_MS, ...auth });
  const volumes = createClient(contracts.images().Volumes, addr.storage, { deadlineMs, ...auth });
  const sup = createClient(contracts.supervisor().Supervisor, addr.supervisor, { deadlineMs, ...auth });

  const supervisor: SupervisorService = {
    register: (unit) => unary(sup, 'Register', { unit }) as Promise<UnitStatus>,
    unregister: async (name) => {
      await unary(sup, 'Unregister', { name });
    },
    watch(onStatus, onEnd) {
      // A watch lives until cancelled: no deadline.
      const call = sup.Watch({}, { deadline: Infinity });
      let ended = false;
      const end = (err?: Error) => {
        if (ended) return;
        ended = true;
        onEnd(err);
      };
      call.on('data', (s: UnitStatus) => onStatus(s));
      call.on('error', (e: Error) => end(e));
      call.on('end', () => end());
      return () => {
        ended = true;
        call.cancel();
      };
    },
  };

  return {
    ipam: {
      allocate: (owner, network) => unary(ipam, 'Allocate', { owner, network }) as Promise<kube.Allocation__Output>,
      release: async (owner) => {
        await unary(ipam, 'Release', { owner });
      },
      reconcile: async (live_owners) => {
        await unary(ipam, 'Reconcile', { live_owners, dry_run: false });
      },
    },
    images: {
      ensure: (image, architecture) =>
        new Promise<ImageOnRouter>((resolve, reject) => {
          const call = images.EnsureImage({ image, architecture, delivery: 'DELIVERY_DEFAULT' });
          let result: kube.ImageResult__Output | undefined;
          call.on('data', (ev: kube.EnsureImageEvent__Output) => {
            if (ev.result) result = ev.result;
          });
          call.on('error', reject);
          call.on('end', () =>
            result
              ? resolve({ routerFile: result.router_file, remoteImage: result.remote_image, manifestDigest: result.manifest_digest })
              : reject(new Error(`EnsureImage ${image}: the stream ended without a result`)),
          );
        }),
    },
    volumes: {
      provision: (req) => unary(volumes, 'ProvisionVolume', req) as Promise<kube.Volume__Output>,
      releasePod: async (namespace, pod) => {
        await unary(volumes, 'ReleasePodVolumes', { namespace, pod });
      },
      cleanupOrphans: async (live_pods) => {
        await unary(volumes, 'CleanupOrphans', { live_pods, dry_run: false });
      },
    },
    supervisor,
    close() {
      for (const c of [ipam, images, volumes, sup]) c.close();
    },
  };
}
