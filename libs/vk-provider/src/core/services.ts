// The services the pod core drives, as narrow seams: gRPC clients implement them
// (src/clients), and cluster mode (issue #13) reuses the same core through them.
import type { kube } from '@mikrotik-kube/proto';

export type Allocation = kube.Allocation__Output;
export type UnitStatus = kube.UnitStatus__Output;
export type Unit = kube.Unit;

export interface ImageOnRouter {
  /** `file=` of /container add, or '' when `remoteImage` is set. */
  routerFile: string;
  remoteImage: string;
  manifestDigest: string;
}

export interface IpamService {
  allocate(owner: string, network: string): Promise<Allocation>;
  release(owner: string): Promise<void>;
  /** Releases allocations of owners not in `liveOwners` (after ipam's grace period). */
  reconcile(liveOwners: string[]): Promise<void>;
}

export interface ImagesService {
  ensure(image: string, architecture: string): Promise<ImageOnRouter>;
}

export interface VolumesService {
  provision(req: kube.ProvisionVolumeRequest): Promise<kube.Volume__Output>;
  releasePod(namespace: string, pod: string): Promise<void>;
  cleanupOrphans(livePods: string[]): Promise<void>;
}

export interface SupervisorService {
  register(unit: Unit): Promise<UnitStatus>;
  unregister(name: string): Promise<void>;
  /** Current status of every unit, then every change, until the returned function is called. */
  watch(onStatus: (s: UnitStatus) => void, onEnd: (err?: Error) => void): () => void;
}

export type EventType = 'Normal' | 'Warning';

/** What happens to a pod's containers, as Kubernetes events (cluster mode writes them to the API server). */
export interface PodEvents {
  emit(podKey: string, container: string | undefined, type: EventType, reason: string, message: string): void;
}

export interface PodServices {
  ipam: IpamService;
  images: ImagesService;
  volumes: VolumesService;
  supervisor: SupervisorService;
}
