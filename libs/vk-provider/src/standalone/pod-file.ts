// The standalone pod source: a multi-document YAML file of v1 Pods
// (`boot-order.yaml`), re-read when it changes (fs.watch on its directory, since
// editors replace files by rename, debounced) and on a timer. A file that cannot
// be read or parsed changes nothing: the last good set of pods stays desired.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { DesiredPod } from '../core/reconciler';
import { checkPod } from './pod-schema';

export interface PodFile {
  pods: DesiredPod[];
  /** Documents that are not pods, by position. */
  skipped: string[];
  /** Documents that could not be attributed to a pod at all (no usable name). */
  errors: string[];
}

const MAX_FILE_BYTES = 4 * 1024 * 1024;

export class PodFileError extends Error {}

export function parsePodFile(text: string): PodFile {
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) throw new PodFileError(`pods file is larger than ${MAX_FILE_BYTES} bytes`);
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new PodFileError('pods file is not YAML');
  const out: PodFile = { pods: [], skipped: [], errors: [] };
  for (const [i, doc] of docs.entries()) {
    const where = `document ${i + 1}`;
    if (doc.errors.length) throw new PodFileError(`${where}: ${doc.errors[0]?.message ?? 'invalid YAML'}`);
    // maxAliasCount bounds alias expansion ("billion laughs").
    const js: unknown = doc.toJS({ maxAliasCount: 100 });
    if (js === null || js === undefined) continue;
    if (typeof js !== 'object' || Array.isArray(js)) {
      out.errors.push(`${where}: not a mapping`);
      continue;
    }
    const kind = (js as { kind?: unknown }).kind;
    if (kind !== undefined && kind !== 'Pod') {
      out.skipped.push(`${where}: kind ${String(kind)} is not Pod`);
      continue;
    }
    const meta = (js as { metadata?: { name?: unknown; namespace?: unknown } }).metadata;
    const problems = checkPod(js);
    const named = typeof meta?.name === 'string' && meta.name !== '' && (meta.namespace === undefined || typeof meta.namespace === 'string');
    if (!named) {
      out.errors.push(`${where}: ${problems.join('; ') || 'metadata.name is required'}`);
      continue;
    }
    const pod = js as V1Pod;
    pod.metadata = { ...pod.metadata, namespace: pod.metadata?.namespace || 'default' };
    out.pods.push(problems.length ? { pod, errors: problems } : { pod });
  }
  return out;
}

export interface PodFileState {
  path: string;
  loadedAt?: Date;
  /** The last read or parse failure; the previous pods stay in force. */
  error?: string;
  file?: PodFile;
}

export class PodFileSource {
  readonly state: PodFileState;
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;

  constructor(
    path: string,
    private readonly debounceMs: number,
    private readonly onChange: () => void,
  ) {
    this.state = { path };
  }

  /** Reads the file; on failure keeps the last good pods and records the error. */
  async load(): Promise<PodFile | undefined> {
    try {
      const file = parsePodFile(await readFile(this.state.path, 'utf8'));
      Object.assign(this.state, { file, loadedAt: new Date(), error: undefined });
    } catch (e) {
      this.state.error = (e as Error).message;
    }
    return this.state.file;
  }

  watch(): void {
    const name = basename(this.state.path);
    this.watcher = watch(dirname(this.state.path), (_event, file) => {
      if (file !== null && file !== name) return;
      clearTimeout(this.debounce);
      this.debounce = setTimeout(this.onChange, this.debounceMs);
    });
    this.watcher.on('error', () => undefined);
  }

  close(): void {
    clearTimeout(this.debounce);
    this.watcher?.close();
  }
}
