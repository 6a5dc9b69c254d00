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
  /** ConfigMaps and Secrets (decoded) by `namespace/name`, for the pods' volumes. */
  configMaps: Map<string, Record<string, string>>;
  secrets: Map<string, Record<string, string>>;
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
  const out: PodFile = { pods: [], configMaps: new Map(), secrets: new Map(), skipped: [], errors: [] };
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
    if (kind === 'ConfigMap' || kind === 'Secret') {
      const problem = addData(out, kind, js as DataDoc);
      if (problem) out.errors.push(`${where}: ${problem}`);
      continue;
    }
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

interface DataDoc {
  metadata?: { name?: unknown; namespace?: unknown };
  data?: unknown;
  stringData?: unknown;
}

const strings = (v: unknown): v is Record<string, string> => v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string'));
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A ConfigMap's data, or a Secret's data (base64) and stringData (which wins, as in the API server). */
function addData(out: PodFile, kind: 'ConfigMap' | 'Secret', doc: DataDoc): string | undefined {
  const { name, namespace = 'default' } = doc.metadata ?? {};
  if (typeof name !== 'string' || !name || typeof namespace !== 'string') return `${kind} metadata.name is required`;
  if (!strings(doc.data) || !strings(doc.stringData)) return `${kind} ${name}: data must map keys to strings`;
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc.data ?? {})) {
    if (kind === 'Secret' && (v.length % 4 !== 0 || !BASE64.test(v))) return `Secret ${name}: data.${k} is not base64`;
    data[k] = kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v;
  }
  if (kind === 'Secret') Object.assign(data, doc.stringData);
  (kind === 'ConfigMap' ? out.configMaps : out.secrets).set(`${namespace || 'default'}/${name}`, data);
  return undefined;
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
