// `mkube uninstall`: removes what install created — the objects carrying INSTALL_TAG and its
// directory on the disk — and nothing it reused or anyone else made.
import type { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { removeContainer } from './install';
import { INSTALL_TAG } from './plan';

const ours = (comment: string | undefined) => comment?.startsWith(INSTALL_TAG) ?? false;

export async function uninstall(router: RouterOsClient, containerName: string, log: (line: string) => void): Promise<void> {
  const container = (await router.containers.list()).find((c) => c.name === containerName && ours(c.comment));
  // Its directory: root-dir is <disk>/<name>/root.
  const dir = container?.rootDir?.replace(/\/root$/, '');
  if (container) {
    await removeContainer(router, container.id);
    log(`removed container ${container.name}`);
  }
  for (const m of await router.containers.mounts.list()) if (ours(m.comment)) await router.containers.mounts.remove(m.id);
  for (const e of await router.containers.envs.list()) if (ours(e.comment)) await router.containers.envs.remove(e.id);
  const nat = router.menu('ip/firewall/nat');
  for (const n of await nat.list()) if (ours(n['comment'])) await nat.remove(n['.id'] as string);
  for (const p of await router.bridgePorts.list()) if (ours(p.comment)) await router.bridgePorts.remove(p.id);
  for (const v of await router.veths.list()) if (ours(v.comment)) await router.veths.remove(v.id);
  for (const a of await router.addresses.list()) if (ours(a.comment)) await router.addresses.remove(a.id);
  for (const b of await router.bridges.list()) if (ours(b.comment)) await router.bridges.remove(b.id);
  if (dir) {
    for (const f of await router.files.listUnder(dir)) await router.files.remove(f.id);
    log(`removed ${dir}`);
  }
  log('uninstalled');
}
