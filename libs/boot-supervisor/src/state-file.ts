// The supervisor's small persistent state: registered units and their restart
// history. The router stays the source of truth for what runs; this file only
// keeps what the router cannot tell (which units exist, their specs, how often
// they were restarted) across a supervisor restart. A versioned, validated,
// atomically written JsonStateFile.
import { JsonStateFile } from '@mikrotik-kube/atomic-file';
import type { kube } from '@mikrotik-kube/proto';
import type { RestartHistory } from './backoff';

export interface PersistedUnit {
  spec: kube.Unit__Output;
  seq: number;
  history: RestartHistory;
  startedMs: number;
  /** Kept only for FAILED and STOPPED: the supervisor must not revive those on its own restart. */
  terminal?: { state: 'UNIT_STATE_FAILED' | 'UNIT_STATE_STOPPED'; reason: string; message: string };
}

export interface PersistedState {
  units: PersistedUnit[];
}

const schema = {
  required: ['units'],
  properties: {
    units: {
      type: 'array',
      items: {
        type: 'object',
        required: ['spec', 'seq', 'history', 'startedMs'],
        properties: {
          spec: { type: 'object', required: ['name', 'container', 'depends_on'] },
          seq: { type: 'integer', minimum: 0 },
          startedMs: { type: 'number' },
          terminal: {
            type: 'object',
            required: ['state', 'reason', 'message'],
            properties: {
              state: { enum: ['UNIT_STATE_FAILED', 'UNIT_STATE_STOPPED'] },
              reason: { type: 'string' },
              message: { type: 'string' },
            },
          },
          history: {
            type: 'object',
            required: ['total', 'consecutive', 'recent'],
            properties: {
              total: { type: 'integer', minimum: 0 },
              consecutive: { type: 'integer', minimum: 0 },
              recent: { type: 'array', items: { type: 'number' } },
            },
          },
        },
      },
    },
  },
};

export class StateFile {
  private readonly file: JsonStateFile<PersistedState>;

  constructor(readonly path: string) {
    this.file = new JsonStateFile(path, { version: 1, schema });
  }

  /** The saved state, or an empty one when there is no file yet. Throws on a corrupt file. */
  load(): PersistedState {
    return this.file.load() ?? { units: [] };
  }

  save(state: PersistedState): void {
    this.file.save(state);
  }
}
