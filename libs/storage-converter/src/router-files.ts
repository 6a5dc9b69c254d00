// File-system chores on the router over REST: directories created level by level (the
// router has no `mkdir -p`), trees removed deepest first (it refuses non-empty
// directories), and which tarballs containers still use.
import { isRouterOsError, removeIgnoringMissing, type RouterOsClient, type RouterFile } from '@mikrotik-kube/routeros-rest';
import { unavailable } from './errors';

/** Strips leading/trailing slashes: the router lists `disk1/x`, containers may say `/disk1/x`. */
export const normalisePath = (p: string) => p.replace(/^\/+|\/+$/g, '');

export async function ensureRouterDir(client: RouterOsClient, dir: string): Promise<void> {
  const parts = normalisePath(dir).split('/');
  for (let i = 1; i <= parts.length; i++) {
    const name = parts.slice(0, i).join('/');
    if (await client.files.find(name)) continue;
    try {
      await client.files.add({ name, type: 'directory' });
    } catch (e) {
      // Another replica or request created it meanwhile.
      if (!isRouterOsError(e, 'duplicate')) throw e;
    }
  }
}

export async function findRouterFile(client: RouterOsClient, name: string): Promise<RouterFile | undefined> {
  return client.files.find(normalisePath(name));
}

/** Removes `dir` and everything below it; returns the number of entries removed. */
export async function removeRouterTree(client: RouterOsClient, dir: string): Promise<number> {
  const victims = await client.files.listUnder(normalisePath(dir));
  for (const f of victims) await removeRouterFile(client, f.id || f.name);
  return victims.length;
}

/** Removes `dir` and the directories below it that hold no file, deepest first, but those in `keep`; returns how many. */
export async function removeEmptyDirs(client: RouterOsClient, dir: string, keep: ReadonlySet<string> = new Set()): Promise<number> {
  const root = normalisePath(dir);
  const entries = (await client.files.list()).filter((f) => f.name === root || f.name.startsWith(`${root}/`));
  const names = new Set(entries.map((f) => f.name));
  const dirs = entries.filter((f) => f.type === 'directory').sort((a, b) => b.name.split('/').length - a.name.split('/').length);
  let removed = 0;
  for (const d of dirs) {
    if (keep.has(d.name) || [...names].some((n) => n.startsWith(`${d.name}/`))) continue;
    await removeRouterFile(client, d.id || d.name);
    names.delete(d.name);
    removed++;
  }
  return removed;
}

/** Removes a file; absent is fine. */
export async function removeRouterFile(client: RouterOsClient, ref: string): Promise<void> {
  await removeIgnoringMissing(() => client.files.remove(ref));
}

/** Tarball paths that containers on the router were created from. */
export async function filesInUse(client: RouterOsClient): Promise<Set<string>> {
  try {
    return new Set((await client.containers.list()).map((c) => normalisePath(c.file ?? '')).filter(Boolean));
  } catch (e) {
    throw unavailable(`cannot list containers on the router: ${(e as Error).message}`);
  }
}
