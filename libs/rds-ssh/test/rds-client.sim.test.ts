// The client against the simulator over real SSH on loopback: every typed operation
// round-trips, errors are typed, faults behave, and bad names never reach the server.
import { closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshKeyPair } from '@mikrotik-kube/routeros-sim';
import { RdsError, type RdsClient } from '../src';
import { BASE, GiB, startSim, type SimHandle } from './sim';

const nqn = (slot: string) => `nqn.2000-02.com.mikrotik:${slot}`;
const vol = (slot: string, sizeBytes = GiB) => ({ slot, filePath: `${BASE}/${slot}.img`, sizeBytes, export: { port: 4420, nqn: nqn(slot) } });

async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof RdsError) return e.kind;
    throw e;
  }
}

describe('RdsClient against the simulator (7.21, SSH on loopback)', () => {
  let h: SimHandle;
  let c: RdsClient;
  const backing = (slot: string) => join(h.sim.context.files.root, `${BASE.slice(1)}/${slot}.img`);

  beforeAll(async () => {
    h = await startSim({ poolBytes: 20 * GiB });
    c = h.client();
  });
  afterAll(() => h.stop());

  it('reads the RouterOS version and knows the NQN argument exists', async () => {
    expect(await c.routerosVersion()).toBe('7.21 (stable)');
    expect(await c.supportsServerNqn()).toBe(true);
  });

  it('creates an exported file disk backed by a real sparse file', async () => {
    const v = await c.createVolume({ ...vol('pvc-a', 1.5 * GiB), comment: 'csi volume' });
    expect(v).toMatchObject({ slot: 'pvc-a', type: 'file', filePath: `${BASE}/pvc-a.img`, sizeBytes: 1.5 * GiB, nvmeExport: true, nvmePort: 4420, nqn: nqn('pvc-a') });
    const st = statSync(backing('pvc-a'));
    expect(st.size).toBe(1.5 * GiB);
    expect(st.blocks * 512).toBeLessThan(1024 * 1024); // sparse
    // The same disk through REST: one state for both faces.
    const rest = h.sim.state.menu('disk').list().find((r) => r['slot'] === 'pvc-a');
    expect(rest).toMatchObject({ 'file-size': String(1.5 * GiB), 'nvme-tcp-export': 'true', 'nvme-tcp-server-nqn': nqn('pvc-a'), comment: 'csi volume' });
  });

  it('gets, lists by prefix and reports not found', async () => {
    await c.createVolume(vol('pvc-b'));
    await c.createVolume({ slot: 'other-x', filePath: `${BASE}/other-x.img`, sizeBytes: GiB });
    expect((await c.getVolume('pvc-b'))?.sizeBytes).toBe(GiB);
    expect(await c.getVolume('pvc-missing')).toBeUndefined();
    expect((await c.listVolumes('pvc-')).map((v) => v.slot).sort()).toEqual(['pvc-a', 'pvc-b']);
    expect((await c.listVolumes('other-')).map((v) => v.slot)).toEqual(['other-x']);
    expect(await kindOf(c.resizeVolume('pvc-missing', GiB))).toBe('not-found');
  });

  it('refuses a second disk with the same slot as already-exists', async () => {
    expect(await kindOf(c.createVolume({ ...vol('pvc-b'), filePath: `${BASE}/pvc-b2.img` }))).toBe('already-exists');
  });

  it('grows a volume (file too), treats equal size as a no-op and refuses to shrink', async () => {
    const v = await c.resizeVolume('pvc-b', 3 * GiB);
    expect(v.sizeBytes).toBe(3 * GiB);
    expect(statSync(backing('pvc-b')).size).toBe(3 * GiB);
    const before = h.history().length;
    expect((await c.resizeVolume('pvc-b', 3 * GiB)).sizeBytes).toBe(3 * GiB);
    expect(h.history().slice(before).some((l) => l.includes(' set '))).toBe(false);
    expect(await kindOf(c.resizeVolume('pvc-b', GiB))).toBe('invalid-input');
  });

  it('reports pool capacity exactly and fails allocations beyond it with no-space', async () => {
    const cap = await c.capacity(BASE);
    const used = (1.5 + 3 + 1) * GiB;
    expect(cap).toEqual({ totalBytes: 20 * GiB, freeBytes: 20 * GiB - used, usedBytes: used, fs: 'btrfs' });
    expect(await kindOf(c.createVolume(vol('pvc-big', 16 * GiB)))).toBe('no-space');
    expect(await c.getVolume('pvc-big')).toBeUndefined();
    h.sim.context.faults.diskFull = 1;
    try {
      expect(await kindOf(c.createVolume(vol('pvc-small')))).toBe('no-space');
      expect(await kindOf(c.resizeVolume('pvc-b', 4 * GiB))).toBe('no-space');
    } finally {
      h.sim.context.faults.diskFull = 0;
    }
  });

  it('clones a volume with copy-from (contents copied, optionally grown and exported)', async () => {
    writeFileSync(backing('pvc-a'), Buffer.from('hello from pvc-a'), { flag: 'r+' });
    const v = await c.cloneVolume({ sourceSlot: 'pvc-a', ...vol('pvc-clone', 2 * GiB) });
    expect(v).toMatchObject({ slot: 'pvc-clone', sizeBytes: 2 * GiB, nvmeExport: true, nqn: nqn('pvc-clone') });
    const fd = openSync(backing('pvc-clone'), 'r');
    const head = Buffer.alloc(16);
    readSync(fd, head, 0, 16, 0);
    closeSync(fd);
    expect(head.toString()).toBe('hello from pvc-a');
    expect(await kindOf(c.cloneVolume({ sourceSlot: 'pvc-nope', ...vol('pvc-c2') }))).toBe('not-found');
  });

  it('deletes the disk and its backing file, idempotently', async () => {
    expect(await c.deleteVolume('pvc-clone')).toBe(true);
    expect(await c.getVolume('pvc-clone')).toBeUndefined();
    expect(() => statSync(backing('pvc-clone'))).toThrow();
    expect(await c.deleteVolume('pvc-clone')).toBe(false);
    // A retry after a crash between the two steps still removes a left-over file.
    h.sim.state.menu('disk').remove('other-x');
    expect(statSync(backing('other-x')).isFile()).toBe(true);
    expect(await c.deleteVolume('other-x', `${BASE}/other-x.img`)).toBe(false);
    expect(() => statSync(backing('other-x'))).toThrow();
  });

  it('never resizes, clones or deletes disks outside the volume bases', async () => {
    const before = h.history().filter((l) => !l.includes(' print ')).length;
    expect(await kindOf(c.deleteVolume('storage-pool'))).toBe('invalid-input');
    expect(await kindOf(c.deleteVolume('disk1'))).toBe('invalid-input');
    expect(await kindOf(c.resizeVolume('storage-pool', 2 ** 50))).toBe('invalid-input');
    expect(await kindOf(c.cloneVolume({ sourceSlot: 'disk1', ...vol('pvc-c3') }))).toBe('invalid-input');
    expect(h.history().filter((l) => !l.includes(' print ')).length).toBe(before);
    expect(h.sim.state.menu('disk').lookup('storage-pool')).toBeDefined();
  });

  it('creates, snapshots, lists and removes btrfs subvolumes', async () => {
    const sub = await c.createSubvolume('storage-pool', 'vols');
    expect(sub).toMatchObject({ name: 'vols', fs: 'storage-pool', readOnly: false, snapshot: false });
    const snap = await c.snapshotSubvolume({ fs: 'storage-pool', parent: 'vols', name: 'snaps/vols-1' });
    expect(snap).toMatchObject({ name: 'snaps/vols-1', parent: 'vols', readOnly: true, snapshot: true });
    expect((await c.listSubvolumes('snaps/')).map((s) => s.name)).toEqual(['snaps/vols-1']);
    expect(await kindOf(c.snapshotSubvolume({ fs: 'storage-pool', parent: 'nope', name: 'snaps/x' }))).toBe('router');
    expect(await c.deleteSubvolume('snaps/vols-1')).toBe(true);
    expect(await c.deleteSubvolume('snaps/vols-1')).toBe(false);
    expect(await c.getSubvolume('snaps/vols-1')).toBeUndefined();
  });

  it('attaches a disk over an image that is already there, and removes a disk keeping its image', async () => {
    const path = `${BASE}/kept/disk.img`;
    await c.createVolume({ slot: 'pvc-kept', filePath: `${BASE}/pvc-kept.img`, sizeBytes: GiB });
    expect(await c.removeDisk('pvc-kept')).toBe(true);
    expect(await c.removeDisk('pvc-kept')).toBe(false);
    expect(statSync(backing('pvc-kept')).size).toBe(GiB);
    const v = await c.attachVolume({ slot: 'pvc-att', filePath: `${BASE}/pvc-kept.img`, comment: 'attached' });
    expect(v).toMatchObject({ slot: 'pvc-att', filePath: `${BASE}/pvc-kept.img`, sizeBytes: GiB, nvmeExport: false, comment: 'attached' });
    expect(await kindOf(c.attachVolume({ slot: 'pvc-none', filePath: path }))).not.toBe('ok');
    expect(await c.deleteVolume('pvc-att')).toBe(true);
  });

  it('refuses injection attempts before anything is sent', async () => {
    const before = h.history().length;
    const attempts = [
      c.createVolume(vol('pvc-x"; /system reboot; "')),
      c.createVolume({ ...vol('pvc-y'), filePath: `${BASE}/../../flash/pvc-y.img` }),
      c.createVolume({ ...vol('pvc-z'), export: { port: 4420, nqn: 'nqn.2000-02.com.mikrotik:x] ; /file remove [find' } }),
      c.createVolume({ ...vol('pvc-p'), export: { port: 70000 } }),
      c.getVolume('$(reboot)'),
      c.listVolumes('pvc-[find]'),
      c.deleteVolume('pvc-1\n/system/reboot'),
      c.resizeVolume('pvc-a', -1),
      c.snapshotSubvolume({ fs: 'storage-pool', parent: 'vols', name: '../../etc' }),
      c.removeFile('/flash/rw/store/user.dat'),
      c.createVolume({ ...vol('pvc-q'), comment: 'two\nlines' }),
    ];
    for (const a of attempts) expect(await kindOf(a)).toBe('invalid-input');
    expect(h.history().length).toBe(before);
  });

  it('quotes free text so random comments never break out (property, over SSH)', async () => {
    const disks = h.sim.state.menu('disk');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: fc.constantFrom(';', '"', '\\', '$', '[', ']', '{', '}', '#', '`', "'", ' ', '=', '?', '/', '(', ')', '~', 'a', 'é', '💾'), maxLength: 30 }), async (comment) => {
        const slot = `pvc-prop-${n++}`;
        const rowsBefore = disks.rows().length;
        await c.createVolume({ slot, filePath: `${BASE}/${slot}.img`, sizeBytes: 1024 * 1024, comment });
        expect(disks.rows().length).toBe(rowsBefore + 1);
        expect(disks.lookup(slot)?.['comment']).toBe(comment);
        expect(await c.deleteVolume(slot)).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('runs many commands concurrently within the session limit', async () => {
    const results = await Promise.all(Array.from({ length: 24 }, () => c.getVolume('pvc-a')));
    expect(results.every((v) => v?.slot === 'pvc-a')).toBe(true);
  });
});

describe('faults and connection handling', () => {
  let h: SimHandle;
  beforeAll(async () => {
    h = await startSim();
  });
  afterAll(() => h.stop());

  it('a connection dropped mid-command is retryable and the next call reconnects', async () => {
    const connects: boolean[] = [];
    const c = h.client({ events: { onConnect: (re) => connects.push(re) } });
    await c.createVolume(vol('pvc-d1'));
    h.sim.context.faults.sshDropRate = 1;
    let err: unknown;
    try {
      await c.getVolume('pvc-d1');
    } catch (e) {
      err = e;
    } finally {
      h.sim.context.faults.sshDropRate = 0;
    }
    expect(err).toBeInstanceOf(RdsError);
    expect((err as RdsError).kind).toBe('transport');
    expect((err as RdsError).retryable).toBe(true);
    expect((await c.getVolume('pvc-d1'))?.slot).toBe('pvc-d1');
    expect(connects).toEqual([false, true]);
  });

  it('times out a slow command with a timeout error, then works again', async () => {
    const c = h.client({ commandTimeoutMs: 150 });
    h.sim.context.faults.latencyMs = 600;
    try {
      expect(await kindOf(c.getVolume('pvc-d1'))).toBe('timeout');
    } finally {
      h.sim.context.faults.latencyMs = 0;
    }
    expect((await c.getVolume('pvc-d1'))?.slot).toBe('pvc-d1');
  });

  it('stays within the router session limit only because channels are bounded', async () => {
    const run = (c: RdsClient) => Promise.all(Array.from({ length: 16 }, () => kindOf(c.getVolume('pvc-d1'))));
    expect(new Set(await run(h.client({ maxChannels: 4 })))).toEqual(new Set(['ok']));
    // The simulator allows 4 sessions per connection; 16 at once overrun it.
    expect(await run(h.client({ maxChannels: 16 }))).toContain('transport');
  });

  it('gives a transport error when the router is unreachable', async () => {
    const c = h.client({ port: 1, connectAttempts: 2, backoffInitialMs: 10 });
    expect(await kindOf(c.getVolume('pvc-d1'))).toBe('transport');
  });
});

describe('authentication and host keys', () => {
  let h: SimHandle;
  const key = sshKeyPair('csi@test');
  beforeAll(async () => {
    h = await startSim({ authorizedKeys: { admin: [key.public] } });
  });
  afterAll(() => h.stop());

  it('logs in with a key', async () => {
    const c = h.client({ password: undefined, privateKey: key.private });
    expect(await c.routerosVersion()).toMatch(/^7\.21/);
  });

  it('refuses a wrong password or an unknown key as auth errors', async () => {
    expect(await kindOf(h.client({ password: 'wrong' }).routerosVersion())).toBe('auth');
    const other = sshKeyPair('other@test');
    expect(await kindOf(h.client({ password: undefined, privateKey: other.private }).routerosVersion())).toBe('auth');
  });

  it('refuses a host whose key is not pinned, unless allowed explicitly', async () => {
    const before = h.history().length;
    expect(await kindOf(h.client({ hostKey: { pins: ['SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'] } }).routerosVersion())).toBe('host-key');
    expect(await kindOf(h.client({ hostKey: {} }).routerosVersion())).toBe('host-key');
    expect(h.history().length).toBe(before);
    expect(await h.client({ hostKey: { allowUnknown: true } }).routerosVersion()).toMatch(/^7\.21/);
    const pub = h.ssh.hostKey().publicKey;
    expect(await h.client({ hostKey: { knownHosts: `[127.0.0.1]:${h.port} ${pub}\n` } }).routerosVersion()).toMatch(/^7\.21/);
    expect(await h.client({ hostKey: { pins: [pub] } }).routerosVersion()).toMatch(/^7\.21/);
  });

  it('names both fingerprints when the pin is wrong, so the log says what to fix', async () => {
    const wrong = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const err = (await h.client({ hostKey: { pins: [wrong] } }).routerosVersion().catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(h.ssh.hostKey().fingerprint);
    expect(err.message).toContain(`pinned ${wrong}`);
  });
});

describe('RouterOS 7.19 (no nvme-tcp-server-nqn)', () => {
  let h: SimHandle;
  beforeAll(async () => {
    h = await startSim({ version: '7.19' });
  });
  afterAll(() => h.stop());

  it('exports without the NQN argument and reports the slot as the NQN', async () => {
    const c = h.client();
    const v = await c.createVolume(vol('pvc-old'));
    expect(v).toMatchObject({ nvmeExport: true, nqn: 'pvc-old' });
    expect(h.history().some((l) => l.includes('nvme-tcp-server-nqn'))).toBe(false);
  });
});
