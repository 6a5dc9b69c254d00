// Our objects on the router, found by the tag in their comment: containers and
// their env entries. Only tagged objects are ever changed or removed.
import { isRouterOsError, removeIgnoringMissing, type Container, type ContainerEnv, type RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { podKey } from './naming';
import { formatTag, parseTag, type ObjectTag } from './tags';

export interface TaggedContainer {
  container: Container;
  tag: ObjectTag;
}

export interface ObservedPod {
  key: string;
  namespace: string;
  name: string;
  containers: TaggedContainer[];
  envs: ContainerEnv[];
}

/** Every pod that has tagged containers or env entries on the router. */
export async function observePods(router: RouterOsClient): Promise<Map<string, ObservedPod>> {
  const [containers, envs] = await Promise.all([router.containers.list(), router.containers.envs.list()]);
  const pods = new Map<string, ObservedPod>();
  const podOf = (t: ObjectTag) => {
    const key = podKey(t.namespace, t.pod);
    let p = pods.get(key);
    if (!p) pods.set(key, (p = { key, namespace: t.namespace, name: t.pod, containers: [], envs: [] }));
    return p;
  };
  for (const c of containers) {
    const tag = parseTag(c.comment);
    if (tag) podOf(tag).containers.push({ container: c, tag });
  }
  for (const e of envs) {
    const tag = parseTag(e.comment);
    if (tag) podOf(tag).envs.push(e);
  }
  return pods;
}

/** Writes the env list, every entry tagged (the pod's old entries were removed with it). */
export async function writeEnvList(router: RouterOsClient, list: string, env: Array<[string, string]>, tag: ObjectTag): Promise<void> {
  for (const [key, value] of env) await router.containers.envs.add({ list, key, value, comment: formatTag(tag) });
}

/** Stops (if needed) and removes a container we made; waits for extraction or stopping to end first. */
export async function removeContainer(router: RouterOsClient, c: Container, timeoutMs: number): Promise<void> {
  let state = c.state;
  if (state === 'running' || state === 'starting') {
    await removeIgnoringMissing(() => router.containers.stop(c.id));
    state = 'stopping';
  }
  if (state === 'stopping' || state === 'extracting') {
    try {
      await router.containers.waitFor(c.id, ['stopped', 'error'], { timeoutMs, intervalMs: 200 });
    } catch (e) {
      if (isRouterOsError(e, 'not-found')) return;
      throw e;
    }
  }
  await removeIgnoringMissing(() => router.containers.remove(c.id));
}
