// What this node has staged and published, kept on a host path (not in the container) so a
// restarted plugin still knows which NQN backs which staging path (truenas-csi #55: state lost
// with the container → unstage silently skipped the disconnect). A versioned, validated,
// atomically written JsonStateFile.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FsType } from './filesystem';
import type { NvmeTarget } from './nvme-cli';
import { JsonStateFile } from '@mikrotik-kube/atomic-file';

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
  volumes: Record<string, StagedVolume>;
}

const schema = {
  required: ['volumes'],
  properties: {
    volumes: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        // What unstage and recovery rely on: which NQN backs which staging path, and where it is published.
        required: ['volumeId', 'stagingPath', 'target', 'publishes'],
        properties: { volumeId: { type: 'string' }, stagingPath: { type: 'string' }, target: { type: 'object' }, publishes: { type: 'object' } },
      },
    },
  },
};

export class NodeState {
  private volumes = new Map<string, StagedVolume>();
  private readonly file: JsonStateFile<Persisted>;

  constructor(private readonly path: string) {
    this.file = new JsonStateFile(path, { version: 1, schema });
  }

  load(): void {
    const data = this.file.load();
    if (data) this.volumes = new Map(Object.entries(data.volumes));
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
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o750 });
    this.file.save({ volumes: Object.fromEntries(this.volumes) });
  }
}
