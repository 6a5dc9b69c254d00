// Optional: the same round trip against a real ROSE Data Server. Needs RDS_ADDRESS,
// RDS_USER, RDS_KEY_FILE and a host-key pin (RDS_HOST_KEY = SHA256 fingerprint or public
// key line; RDS_INSECURE=1 accepts any). Volumes go under RDS_VOLUME_BASE
// (default /storage-pool/metal-csi) and are removed afterwards.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { RdsClient } from '../src';

const env = process.env;
const missing = ['RDS_ADDRESS', 'RDS_USER', 'RDS_KEY_FILE'].filter((k) => !env[k]);
const why = missing.length ? `set ${missing.join(', ')} to run against a real RDS` : '';
if (why) console.log(`real-rds tests skipped: ${why}`);

describe.skipIf(!!why)('RdsClient against a real RDS', () => {
  const base = env['RDS_VOLUME_BASE'] ?? '/storage-pool/metal-csi';
  const slot = `pvc-mkt-test-${randomBytes(4).toString('hex')}`;
  const c = why
    ? undefined
    : new RdsClient({
        host: env['RDS_ADDRESS'] as string,
        port: Number(env['RDS_PORT'] ?? 22),
        username: env['RDS_USER'] as string,
        privateKey: readFileSync(env['RDS_KEY_FILE'] as string),
        hostKey: env['RDS_INSECURE'] === '1' ? { allowUnknown: true } : { pins: [env['RDS_HOST_KEY'] ?? ''] },
        volumeBases: [base],
      });
  afterAll(async () => {
    await c?.deleteVolume(slot, `${base}/${slot}.img`).catch(() => undefined);
    c?.close();
  });

  it('creates, reads, grows and deletes a volume', async () => {
    const client = c as RdsClient;
    const cap = await client.capacity(base);
    expect(cap.totalBytes).toBeGreaterThan(0);
    const v = await client.createVolume({ slot, filePath: `${base}/${slot}.img`, sizeBytes: 1024 ** 3, export: { port: 4420, nqn: `nqn.2000-02.com.mikrotik:${slot}` } });
    expect(v).toMatchObject({ slot, sizeBytes: 1024 ** 3, nvmeExport: true });
    expect((await client.listVolumes('pvc-mkt-test-')).map((x) => x.slot)).toContain(slot);
    expect((await client.resizeVolume(slot, 2 * 1024 ** 3)).sizeBytes).toBe(2 * 1024 ** 3);
    expect(await client.deleteVolume(slot)).toBe(true);
    expect(await client.getVolume(slot)).toBeUndefined();
  });
});
