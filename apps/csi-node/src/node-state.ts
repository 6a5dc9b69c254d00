// What this node has staged and published, kept on a host path (not in the container) so a
// restarted plugin still knows which NQN backs which staging path (truenas-csi #55: state lost
// with the container → unstage silently skipped the disconnect). Written atomically.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FsType } from './filesystem';
import type { NvmeTarget } from './nvme-cli';
import { writeFileAtomicSync } from '@mikrotik-kube/atomic-file';

export type AccessType = 'mount' | 'block';

export interface StagedVolume {
  volumeId: string;
  stagingPath: string;
  target: NvmeTarget;
  accessType: AccessType;
  accessMode: string;
  fsType?: FsType;
  mountFlags: string[];
  /** Device node and major:minor the volume was staged on (a later mismatch means a stale mount). */
  device?: string;
  devMajMin?: string;
  stagedAt: string;
  /** target path → read-only */
  publishes: Record<string, { readonly: boolean }>;
}

interface Persisted {
  version: 1;
  volumes: Record<string, StagedVolume>;
}

export class NodeState {
  private volumes = new Map<string, StagedVolume>();

  constructor(private readonly file: string) {}

  load(): void {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const data = JSON.parse(text) as Persisted;
    if (data.version !== 1) throw new Error(`${this.file}: unknown state version ${String(data.version)}`);
    this.volumes = new Map(Object.entries(data.volumes));
  }

  get(volumeId: string): StagedVolume | undefined {
    return this.volumes.get(volumeId);
  }

  all(): StagedVolume[] {
    return [...this.volumes.values()];
  }

  /** The volume staged at a path, or published at a target path. */
  byStagingPath(path: string): StagedVolume | undefined {
    return this.all().find((v) => v.stagingPath === path);
  }

  byTarget(path: string): StagedVolume | undefined {
    return this.all().find((v) => path in v.publishes);
  }

  put(v: StagedVolume): void {
    this.volumes.set(v.volumeId, v);
    this.save();
  }

  delete(volumeId: string): void {
    if (this.volumes.delete(volumeId)) this.save();
  }

  private save(): void {
    const data: Persisted = { version: 1, volumes: Object.fromEntries(this.volumes) };
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o750 });
    writeFileAtomicSync(this.file, JSON.stringify(data, null, 2));
  }
}
