// Pod volumes on the router: a directory per (namespace, pod, volume) under the volume
// root, tagged by a marker file, and a mount entry per (container, volume, mount path) in
// the container's mount list (version-specific fields handled by routeros-rest).
// EMPTY_DIR data goes with the pod; PERSISTENT data stays for the next pod of that name.
import type { kube } from '@mikrotik-kube/proto';
import { isRouterOsError, removeIgnoringMissing, type ContainerMount, type RouterOsClient } from '@mikrotik-kube/routeros-rest';
import type { Logger } from '@mikrotik-kube/service-kit';
import { StorageError, invalid, precondition, unavailable } from './errors';
import { ensureRouterDir, removeRouterFile, removeRouterTree } from './router-files';
import {
  checkLabel,
  checkMountPath,
  checkSubdomain,
  markerFile,
  mountComment,
  mountListName,
  parseMarker,
  parseMountComment,
  volumeDir,
  type MountTag,
  type VolumeId,
  type VolumeKindName,
} from './volume-naming';

export type Volume = kube.Volume__Output;

const KIND_TO_PROTO = { 'empty-dir': 'VOLUME_KIND_EMPTY_DIR', persistent: 'VOLUME_KIND_PERSISTENT' } as const;

function kindFrom(k: kube.VolumeKind | undefined): VolumeKindName {
  if (k === 'VOLUME_KIND_EMPTY_DIR' || k === 1) return 'empty-dir';
  if (k === 'VOLUME_KIND_PERSISTENT' || k === 2) return 'persistent';
  throw invalid('volume kind must be VOLUME_KIND_EMPTY_DIR or VOLUME_KIND_PERSISTENT');
}

/** What our tags on the router say: marker files and tagged mount entries. */
export interface VolumeInventory {
  markers: Array<VolumeId & { kind: VolumeKindName; name: string; id: string }>;
  mounts: Array<{ mount: ContainerMount; tag: MountTag }>;
}

export class VolumeManager {
  /** Per-pod queue: provisioning and releasing one pod never interleave (no duplicate entries). */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    readonly router: RouterOsClient,
    /** Volume root on the router, e.g. `disk1/mk-volumes`. */
    readonly root: string,
    private readonly logger: Logger,
  ) {}

  async provision(req: kube.ProvisionVolumeRequest__Output): Promise<Volume> {
    const namespace = checkSubdomain('namespace', req.namespace);
    const pod = checkSubdomain('pod', req.pod);
    const container = checkLabel('container', req.container);
    const volume = checkLabel('volume', req.volume);
    const mountPath = checkMountPath(req.mount_path);
    const kind = kindFrom(req.kind);
    const id = { namespace, pod, volume };
    return this.serial(`${namespace}/${pod}`, async () => {
      const inv = await this.inventory();
      const other = inv.markers.find((m) => m.namespace === namespace && m.pod === pod && m.volume === volume && m.kind !== kind);
      if (other) throw precondition(`volume ${volume} of ${namespace}/${pod} already exists as ${other.kind}`);
      const dir = volumeDir(this.root, id);
      await ensureRouterDir(this.router, dir);
      if (!inv.markers.some((m) => m.namespace === namespace && m.pod === pod && m.volume === volume)) {
        await this.router.files.add({ name: markerFile(this.root, id, kind), contents: JSON.stringify({ ...id, kind, createdAt: new Date().toISOString() }) }).catch((e: unknown) => {
          if (!isRouterOsError(e, 'duplicate')) throw e;
        });
      }
      const list = mountListName(namespace, pod, container);
      const tag: MountTag = { ...id, container, kind };
      const same = inv.mounts.find((m) => m.mount.list === list && m.mount.dst === mountPath);
      if (same) {
        if (same.tag.volume !== volume || same.mount.src !== dir) throw precondition(`mount path ${mountPath} of container ${container} is already used by volume ${same.tag.volume}`);
        return this.toVolume(same.tag, same.mount);
      }
      const mount = await this.router.containers.mounts.add({ list, src: dir, dst: mountPath, readOnly: req.read_only, comment: mountComment(tag) });
      this.logger.info('volume provisioned', { namespace, pod, container, volume, kind, routerPath: dir, mountList: list, mountPath });
      return this.toVolume(tag, mount);
    });
  }

  /** Removes the pod's mount entries and EMPTY_DIR data; refuses while a container uses them. */
  async release(namespace: string, pod: string): Promise<Volume[]> {
    checkSubdomain('namespace', namespace);
    checkSubdomain('pod', pod);
    return this.serial(`${namespace}/${pod}`, async () => {
      const inv = await this.inventory();
      const used = await this.mountListsInUse();
      const mounts = inv.mounts.filter((m) => m.tag.namespace === namespace && m.tag.pod === pod);
      const busy = mounts.find((m) => used.has(m.mount.list));
      if (busy) throw precondition(`mount list ${busy.mount.list} of ${namespace}/${pod} is still used by a container on the router`);
      const markers = inv.markers.filter((m) => m.namespace === namespace && m.pod === pod);
      return this.remove(mounts, markers, 'released');
    });
  }

  async list(namespace: string, pod: string): Promise<Volume[]> {
    return this.guard(async () => {
      const inv = await this.inventory();
      const match = (v: VolumeId) => (!namespace || v.namespace === namespace) && (!pod || v.pod === pod);
      const out = inv.mounts.filter((m) => match(m.tag)).map((m) => this.toVolume(m.tag, m.mount));
      // Kept volumes with no mount entry (persistent data of a released pod).
      for (const mk of inv.markers.filter(match)) {
        if (!out.some((v) => v.namespace === mk.namespace && v.pod === mk.pod && v.volume === mk.volume)) out.push(this.toVolume({ ...mk, container: '' }));
      }
      return out;
    });
  }

  /** Removes mount entries, and directories of EMPTY_DIR markers; one audit line each. */
  async remove(mounts: VolumeInventory['mounts'], markers: VolumeInventory['markers'], reason: string): Promise<Volume[]> {
    const out: Volume[] = [];
    for (const m of mounts) {
      await removeIgnoringMissing(() => this.router.containers.mounts.remove(m.mount.id));
      this.logger.info('volume mount removed', { audit: true, reason, ...m.tag, mountList: m.mount.list, mountId: m.mount.id, mountPath: m.mount.dst });
      out.push(this.toVolume(m.tag, m.mount));
    }
    for (const mk of markers) {
      if (mk.kind !== 'empty-dir') continue;
      const dir = volumeDir(this.root, mk);
      const entries = await removeRouterTree(this.router, dir);
      await removeRouterFile(this.router, mk.id || mk.name);
      this.logger.info('volume data removed', { audit: true, reason, namespace: mk.namespace, pod: mk.pod, volume: mk.volume, kind: mk.kind, routerPath: dir, entries });
      if (!out.some((v) => v.namespace === mk.namespace && v.pod === mk.pod && v.volume === mk.volume)) out.push(this.toVolume({ ...mk, container: '' }));
    }
    return out;
  }

  async inventory(): Promise<VolumeInventory> {
    const files = await this.router.files.list();
    const markers = files.flatMap((f) => {
      const m = parseMarker(this.root, f.name);
      return m ? [{ ...m, name: f.name, id: f.id }] : [];
    });
    const mounts = (await this.router.containers.mounts.list()).flatMap((mount) => {
      const tag = parseMountComment(mount.comment);
      return tag ? [{ mount, tag }] : [];
    });
    return { markers, mounts };
  }

  async mountListsInUse(): Promise<Set<string>> {
    return new Set((await this.router.containers.list()).flatMap((c) => c.mountLists));
  }

  private toVolume(t: MountTag, m?: ContainerMount): Volume {
    return {
      namespace: t.namespace,
      pod: t.pod,
      container: t.container,
      volume: t.volume,
      mount_path: m?.dst ?? '',
      kind: KIND_TO_PROTO[t.kind],
      router_path: volumeDir(this.root, t),
      mount_list: m?.list ?? '',
      mount_id: m?.id ?? '',
      read_only: m?.readOnly ?? false,
    };
  }

  /** Runs `fn` after earlier work on the same pod (in this process) has settled. */
  serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(() => this.guard(fn));
    const tail = run.catch(() => undefined);
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return run;
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof StorageError) throw e;
      if (isRouterOsError(e) && (e.kind === 'invalid' || e.kind === 'duplicate')) throw precondition(`router refused: ${e.detail ?? e.message}`);
      throw unavailable(`router unavailable: ${(e as Error).message}`);
    }
  }
}
