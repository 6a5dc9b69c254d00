// The tag we write in `comment` of every container and env entry we create:
// what pod and container it belongs to and the hash of the pod spec it was
// made from. Objects without this tag are never touched (the Go mikrotik-kube's
// reconciler removed every container it did not know, itself included).
const PREFIX = 'mikrotik-kube:vk';

export interface ObjectTag {
  namespace: string;
  pod: string;
  container: string;
  /** Hash of the pod spec the object was created from. */
  hash: string;
}

export function formatTag(t: ObjectTag): string {
  return `${PREFIX} pod=${t.namespace}/${t.pod} container=${t.container} hash=${t.hash}`;
}

export function parseTag(comment: string | undefined): ObjectTag | undefined {
  if (!comment?.startsWith(`${PREFIX} `)) return undefined;
  const m = /^pod=([a-z0-9.-]+)\/([a-z0-9.-]+) container=([a-z0-9-]+) hash=([0-9a-f]+)$/.exec(comment.slice(PREFIX.length + 1));
  if (!m) return undefined;
  return { namespace: m[1] as string, pod: m[2] as string, container: m[3] as string, hash: m[4] as string };
}
