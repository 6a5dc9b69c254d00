// What a Helm release of the chart made on the router, removed (the chart's pre-delete hook,
// apps/uninstall): the containers of pods on the router with their root-dirs and env entries
// (vk-provider's tags), their mount entries and EMPTY_DIR data (storage-converter's), their
// veths and bridge ports (ipam's) and the image tarballs. PERSISTENT volume data (a router pod's
// hostPath) is kept, as on a pod's deletion. Each step uses the removal code of the service that
// made the objects, and only objects carrying that service's tag are touched.
import { parseIpamTag } from '@mikrotik-kube/ipam';
import { removeIgnoringMissing, type RouterOsClient } from '@mikrotik-kube/routeros-rest';
import type { Logger } from '@mikrotik-kube/service-kit';
import { filesInUse, normalisePath, removeEmptyDirs, removeRouterFile, removeRouterTree, volumeDir, VolumeManager } from '@mikrotik-kube/storage-converter';
import { observePods, removeContainer } from '@mikrotik-kube/vk-provider';

export interface ReleaseDirs {
  /** vk-provider's containers.rootDir: the parent of every root-dir. */
  containers: string;
  /** storage-converter's storage.routerDir: the image tarballs. */
  images: string;
  /** storage-converter's volumes.routerDir. */
  volumes: string;
}

/** What is still on the router after a cleanup, one line per kind; empty = nothing. */
export type Leftovers = string[];

export async function removeReleaseFromRouter(router: RouterOsClient, dirs: ReleaseDirs, logger: Logger, stopTimeoutMs: number): Promise<void> {
  // Pods at once: each may wait for its containers' stop-time.
  await Promise.all(
    [...(await observePods(router)).values()].map(async (pod) => {
      for (const { container } of pod.containers) {
        await removeContainer(router, container, stopTimeoutMs);
        // RouterOS removes the root-dir with the container on the versions we know; make sure.
        if (container.rootDir) await removeRouterTree(router, container.rootDir);
        logger.info('container removed', { pod: pod.key, routerName: container.name });
      }
      for (const e of pod.envs) await removeIgnoringMissing(() => router.containers.envs.remove(e.id));
    }),
  );

  const volumes = new VolumeManager(router, normalisePath(dirs.volumes), logger);
  const inv = await volumes.inventory();
  await volumes.remove(inv.mounts, inv.markers, 'uninstall');

  for (const p of await router.bridgePorts.list()) if (parseIpamTag(p.comment)) await removeIgnoringMissing(() => router.bridgePorts.remove(p.id));
  for (const v of await router.veths.list()) {
    if (!parseIpamTag(v.comment)) continue;
    await removeIgnoringMissing(() => router.veths.remove(v.id));
    logger.info('veth removed', { veth: v.name, addresses: v.addresses });
  }

  // Tarballs no container on the router uses any more (another's container keeps its file).
  const used = await filesInUse(router);
  const images = normalisePath(dirs.images);
  const tarballs = (await router.files.list()).filter((f) => f.type !== 'directory' && f.name.startsWith(`${images}/`) && !used.has(f.name));
  for (const f of tarballs) await removeRouterFile(router, f.id || f.name);
  logger.info('image tarballs removed', { routerPath: images, files: tarballs.length });

  // A kept (PERSISTENT) volume's directory stays even when empty: its marker says it is data.
  const kept = new Set(inv.markers.filter((m) => m.kind === 'persistent').map((m) => volumeDir(normalisePath(dirs.volumes), m)));
  for (const d of [dirs.images, dirs.volumes, dirs.containers]) await removeEmptyDirs(router, d, kept);
}

/** What removeReleaseFromRouter would still find (PERSISTENT volume data is kept, so not listed). */
export async function releaseLeftovers(router: RouterOsClient, dirs: ReleaseDirs, logger: Logger): Promise<Leftovers> {
  const out: Leftovers = [];
  const pods = [...(await observePods(router)).values()];
  const containers = pods.flatMap((p) => p.containers.map((c) => c.container.name));
  if (containers.length) out.push(`containers: ${containers.join(', ')}`);
  const envs = pods.reduce((n, p) => n + p.envs.length, 0);
  if (envs) out.push(`env entries: ${envs}`);
  const inv = await new VolumeManager(router, normalisePath(dirs.volumes), logger).inventory();
  if (inv.mounts.length) out.push(`mount entries: ${inv.mounts.map((m) => m.mount.list).join(', ')}`);
  const emptyDirs = inv.markers.filter((m) => m.kind === 'empty-dir');
  if (emptyDirs.length) out.push(`emptyDir volumes: ${emptyDirs.map((m) => `${m.namespace}/${m.pod}/${m.volume}`).join(', ')}`);
  const veths = (await router.veths.list()).filter((v) => parseIpamTag(v.comment)).map((v) => v.name);
  if (veths.length) out.push(`veths: ${veths.join(', ')}`);
  const ports = (await router.bridgePorts.list()).filter((p) => parseIpamTag(p.comment)).map((p) => p.interface);
  if (ports.length) out.push(`bridge ports: ${ports.join(', ')}`);
  const images = normalisePath(dirs.images);
  const files = (await router.files.list()).filter((f) => f.type !== 'directory' && f.name.startsWith(`${images}/`)).map((f) => f.name);
  if (files.length) out.push(`files: ${files.join(', ')}`);
  return out;
}
