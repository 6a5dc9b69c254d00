// ConfigMap and Secret volumes on the router: the volume is a pod directory like an
// emptyDir (storage-converter makes it and its mount entries), and vk-provider writes one
// file per key into it over REST (`/file`), as the kubelet's atomic writer would project
// them. The data is read by the pod's source (the pods file, or the API server) on every
// pass and written only when it changed, so an edit reaches the running pod without a
// restart, as in Kubernetes. RouterOS files are text written through `contents`: keys in
// subdirectories and file modes are reported, a key over 60 KiB refused, none written wrongly.
import type { V1Pod, V1Volume } from '@kubernetes/client-node';
import { removeIgnoringMissing, type RouterOsClient } from '@mikrotik-kube/routeros-rest';

/** What a source can read: a ConfigMap's or Secret's (decoded) data, undefined when absent. */
export interface DataLookups {
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

/** The files of each ConfigMap/Secret volume, by volume name: file name → contents. */
export type ResolvedFiles = ReadonlyMap<string, ReadonlyMap<string, string>>;

/** A non-optional ConfigMap, Secret or key is missing (the kubelet's CreateContainerConfigError). */
export class VolumeFilesError extends Error {}

const MAX_FILE_BYTES = 60 * 1024;
const KIND = { configMap: 'configmap', secret: 'secret' } as const;

interface FileSource {
  kind: 'configMap' | 'secret';
  name: string;
  items?: Array<{ key: string; path: string; mode?: number }>;
  optional: boolean;
  defaultMode?: number;
}

export function fileSource(v: V1Volume): FileSource | undefined {
  if (v.configMap) return { kind: 'configMap', name: v.configMap.name ?? '', items: v.configMap.items, optional: !!v.configMap.optional, defaultMode: v.configMap.defaultMode };
  if (v.secret) return { kind: 'secret', name: v.secret.secretName ?? '', items: v.secret.items, optional: !!v.secret.optional, defaultMode: v.secret.defaultMode };
  return undefined;
}

/** What of a ConfigMap/Secret volume the router cannot hold, for the pod's notes. */
export function fileSourceNotes(s: FileSource, where: string): string[] {
  const notes: string[] = [];
  if (s.defaultMode !== undefined || s.items?.some((i) => i.mode !== undefined)) notes.push(`${where}: file modes are not applied (RouterOS sets no file modes)`);
  for (const i of s.items ?? []) if (i.path.includes('/')) notes.push(`${where}: item path ${i.path} is in a subdirectory, which is not supported; it is left out`);
  return notes;
}

/** True when the pod has a ConfigMap or Secret volume (its data must be read for each pass). */
export function needsFiles(pod: V1Pod): boolean {
  return (pod.spec?.volumes ?? []).some((v) => fileSource(v));
}

export async function resolveVolumeFiles(pod: V1Pod, lookups: DataLookups): Promise<ResolvedFiles> {
  const ns = pod.metadata?.namespace || 'default';
  const out = new Map<string, Map<string, string>>();
  for (const v of pod.spec?.volumes ?? []) {
    const s = fileSource(v);
    if (!s) continue;
    const data = await lookups[s.kind](ns, s.name);
    const files = new Map<string, string>();
    out.set(v.name, files);
    if (!data) {
      if (s.optional) continue;
      throw new VolumeFilesError(`${KIND[s.kind]} "${s.name}" not found`);
    }
    for (const item of s.items ?? Object.keys(data).map((key) => ({ key, path: key }))) {
      const value = data[item.key];
      if (value === undefined) {
        if (s.optional) continue;
        throw new VolumeFilesError(`couldn't find key ${item.key} in ${KIND[s.kind]} ${ns}/${s.name}`);
      }
      if (item.path.includes('/')) continue;
      if (Buffer.byteLength(value) > MAX_FILE_BYTES) throw new VolumeFilesError(`key ${item.key} of ${KIND[s.kind]} ${ns}/${s.name} is larger than ${MAX_FILE_BYTES / 1024} KiB, more than a RouterOS file takes through its contents`);
      files.set(item.path, value);
    }
  }
  return out;
}

/**
 * Makes `dir` hold exactly `files` (names are single path segments): writes the changed
 * ones, removes the others. The directory itself is storage-converter's.
 */
export async function writeVolumeFiles(router: RouterOsClient, dir: string, files: ReadonlyMap<string, string>): Promise<void> {
  const present = new Map((await router.files.listUnder(dir)).filter((f) => f.name !== dir && !f.name.slice(dir.length + 1).includes('/')).map((f) => [f.name.slice(dir.length + 1), f]));
  for (const [name, contents] of files) {
    const path = `${dir}/${name}`;
    // A listing carries no contents: read the file alone to see whether it changed.
    if (present.has(name) && (await router.files.find(path))?.raw['contents'] === contents) continue;
    if (present.has(name)) await router.files.setContents(path, contents);
    else await router.files.add({ name: path, contents });
  }
  for (const [name, f] of present) {
    if (files.has(name) || f.type === 'directory') continue;
    await removeIgnoringMissing(() => router.files.remove(f.id || f.name));
  }
}
