// The supervisor's small persistent state: registered units and their restart
// history. The router stays the source of truth for what runs; this file only
// keeps what the router cannot tell (which units exist, their specs, how often
// they were restarted) across a supervisor restart. Written atomically (temp
// file, fsync, rename, fsync of the directory) so a crash never leaves half a
// file behind.
import { existsSync, readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { writeJsonAtomicSync } from '@mikrotik-kube/atomic-file';
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
  version: 1;
  units: PersistedUnit[];
}

const validate = new Ajv({ allErrors: true }).compile({
  type: 'object',
  required: ['version', 'units'],
  properties: {
    version: { const: 1 },
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
});

export class StateFile {
  constructor(readonly path: string) {}

  /** The saved state, or an empty one when there is no file yet. Throws on a corrupt file. */
  load(): PersistedState {
    if (!existsSync(this.path)) return { version: 1, units: [] };
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (err) {
      throw new Error(`state file ${this.path} is not valid JSON: ${(err as Error).message}`);
    }
    if (!validate(data)) {
      const why = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
      throw new Error(`state file ${this.path} is invalid: ${why}`);
    }
    return data as unknown as PersistedState;
  }

  save(state: PersistedState): void {
    writeJsonAtomicSync(this.path, state);
  }
}
