// /disk over REST: the generic menu (per-version arguments, unique slot, lookup by slot) with
// the disk module's file-disk hooks behind it — one behaviour for REST and SSH.
import { existsSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startSim } from './helpers';

type Obj = Record<string, string>;

describe('/disk over REST', () => {
  it('7.21: file disk with NVMe/TCP export; duplicate slot refused without touching files; remove', async () => {
    const { sim, call } = await startSim({ version: '7.21' });
    try {
      expect(((await call('GET', '/disk')).body as Obj[]).map((d) => d['slot'])).toContain('disk1');
      const add = await call('PUT', '/disk', { type: 'file', slot: 'vol1', 'file-path': '/storage-pool/vols/vol1.img', 'file-size': '64M', 'nvme-tcp-export': 'yes', 'nvme-tcp-server-nqn': 'nqn.2000-02.com.mikrotik:vol1' });
      expect(add.status).toBe(201);
      expect(add.body).toMatchObject({ slot: 'vol1', type: 'file', 'nvme-tcp-export': 'true', 'nvme-tcp-server-nqn': 'nqn.2000-02.com.mikrotik:vol1' });
      const real = sim.context.files.resolve('storage-pool/vols/vol1.img');
      expect(statSync(real).size).toBe(64 * 1024 * 1024);
      const dup = await call('PUT', '/disk', { type: 'file', slot: 'vol1', 'file-path': '/storage-pool/vols/other.img', 'file-size': '1M' });
      expect(dup).toMatchObject({ status: 400, body: { detail: 'failure: slot already exists' } });
      expect(existsSync(sim.context.files.resolve('storage-pool/vols/other.img'))).toBe(false);
      expect((await call('GET', '/disk/vol1')).body).toMatchObject({ '.id': (add.body as Obj)['.id'] });
      expect((await call('PUT', '/disk', { slot: 'x' })).body).toMatchObject({ detail: 'missing =type=' });
      expect((await call('DELETE', '/disk/vol1')).status).toBe(204);
      expect((await call('GET', '/disk/vol1')).status).toBe(404);
    } finally {
      await sim.stop();
    }
  });

  it('7.20 has no NQN arguments (client side is nvme-tcp-name)', async () => {
    const { sim, call } = await startSim({ version: '7.20' });
    try {
      const r = await call('PUT', '/disk', { type: 'file', slot: 'v', 'file-path': '/storage-pool/v.img', 'file-size': '1M', 'nvme-tcp-server-nqn': 'x' });
      expect(r.body).toMatchObject({ detail: 'unknown parameter nvme-tcp-server-nqn' });
    } finally {
      await sim.stop();
    }
  });
});
