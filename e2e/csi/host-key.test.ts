// A wrong RDS host-key pin: csi-controller is not ready, and its log says why, naming the
// key the server presented and the pin, so the operator can tell a re-keyed RDS from a typo.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@mikrotik-kube/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startController, startSim, type ControllerProc, type Sim } from './support/stack';

const WRONG = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

describe('csi-controller with a wrong RDS host-key pin', () => {
  let sim: Sim;
  let controller: ControllerProc;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'csi-hostkey-'));
    sim = await startSim();
    controller = await startController(sim, { dir, args: ['--rds.host-key', WRONG] });
  }, 120_000);
  afterAll(async () => {
    await controller?.stop();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /readyz 503 and logs the mismatch with both fingerprints, once', async () => {
    const ops = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(controller.proc.output())?.[1];
    for (let i = 0; i < 3; i++) expect((await fetch(`${ops}/readyz`)).status).toBe(503);
    const line = await waitFor(() => controller.proc.output().split('\n').find((l) => l.includes('rds unreachable')), 10_000);
    expect(line).toContain(sim.hostKey);
    expect(line).toContain(WRONG);
    expect(line).toContain('"level":"error"');
    // Repeated probes with the same cause do not repeat the line.
    expect(controller.proc.output().split('\n').filter((l) => l.includes('rds unreachable'))).toHaveLength(1);
  }, 60_000);
});
