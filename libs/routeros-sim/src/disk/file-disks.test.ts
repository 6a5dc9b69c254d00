// File disks through the state API (the path REST takes): real sparse backing files that a
// node can loop-mount, copy-from clones with the data, pool accounting that counts orphans,
// and btrfs snapshots that copy their parent's tree.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Simulator } from '../simulator';
import { RosError } from '../state/errors';
import { diskPlugin } from './plugin';

const MiB = 1024 ** 2;
const canMount = process.getuid?.() === 0 && existsSync('/dev/loop-control');

function detail(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof RosError) return e.detail;
    throw e;
  }
  return undefined;
}

describe('file disks', () => {
  let dir: string;
  let sim: Simulator;
  const disks = () => sim.state.menu('disk');
  const real = (p: string) => join(dir, 'files', p);
  const pool = () => disks().list().find((r) => r['slot'] === 'storage-pool') as Record<string, string>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'disk-test-'));
    sim = new Simulator({ dataDir: dir, plugins: [diskPlugin({ poolBytes: 512 * MiB })] });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a sparse backing file and accounts it in the pool', () => {
    disks().add({ type: 'file', slot: 'v1', 'file-path': '/storage-pool/vols/v1.img', 'file-size': '128M', 'nvme-tcp-export': 'yes' });
    const st = statSync(real('storage-pool/vols/v1.img'));
    expect(st.size).toBe(128 * MiB);
    expect(st.blocks * 512).toBeLessThan(MiB);
    expect(pool()).toMatchObject({ size: String(512 * MiB), free: String(384 * MiB) });
    expect(disks().get('v1')).toMatchObject({ model: '/storage-pool/vols/v1.img', size: String(128 * MiB), 'nvme-tcp-export': 'true', 'file-offset': '0' });
  });

  it('refuses what the router refuses, storing nothing', () => {
    const rows = disks().rows().length;
    expect(detail(() => disks().add({ type: 'file', slot: 'v2', 'file-path': '/storage-pool/vols/v2.img', 'file-size': '400M' }))).toBe('failure: not enough space');
    expect(detail(() => disks().add({ type: 'file', slot: 'v2', 'file-path': '/storage-pool/vols/v1.img', 'file-size': '1M' }))).toBe('failure: file already exists');
    expect(detail(() => disks().add({ type: 'file', slot: 'v2', 'file-path': '/storage-pool/../../etc/x.img', 'file-size': '1M' }))).toBe('invalid value for argument name');
    expect(detail(() => disks().add({ type: 'file', slot: 'v2', 'file-path': '/storage-pool/vols/none.img' }))).toBe('failure: file does not exist');
    expect(detail(() => disks().add({ type: 'file', slot: 'v2', 'file-path': '/storage-pool/vols/v2.img', 'copy-from': 'ghost' }))).toBe('input does not match any value of copy-from');
    expect(detail(() => disks().set('v1', { 'file-path': '/storage-pool/vols/moved.img' }))).toBe('failure: can not change file-path');
    expect(detail(() => disks().set('v1', { 'file-size': '64M' }))).toBe('failure: can not shrink file');
    expect(disks().rows().length).toBe(rows);
    expect(existsSync(real('storage-pool/vols/v2.img'))).toBe(false);
  });

  it('keeps the backing file on /disk remove and frees space when the file goes', () => {
    disks().add({ type: 'file', slot: 'tmp', 'file-path': '/storage-pool/vols/tmp.img', 'file-size': '64M' });
    disks().remove('tmp');
    expect(existsSync(real('storage-pool/vols/tmp.img'))).toBe(true);
    expect(pool()['free']).toBe(String(320 * MiB)); // the orphan still takes space
    sim.state.menu('file').insert({ name: 'storage-pool/vols/tmp.img', type: '.img file' });
    sim.state.menu('file').remove('storage-pool/vols/tmp.img');
    expect(existsSync(real('storage-pool/vols/tmp.img'))).toBe(false);
    expect(pool()['free']).toBe(String(384 * MiB));
  });

  it('snapshots a btrfs subvolume as a copy of its tree', () => {
    const subs = sim.state.menu('disk/btrfs/subvolume');
    // A subvolume cannot take the place of an existing directory.
    expect(detail(() => subs.add({ fs: 'storage-pool', name: 'vols' }))).toBe('failure: file or directory already exists');
    subs.add({ fs: 'storage-pool', name: 'data' });
    disks().add({ type: 'file', slot: 'd1', 'file-path': '/storage-pool/data/d1.img', 'file-size': '8M' });
    subs.add({ fs: 'storage-pool', name: 'snaps/data-1', parent: 'data', 'read-only': 'yes' });
    expect(statSync(real('storage-pool/snaps/data-1/d1.img')).size).toBe(8 * MiB);
    expect(subs.get('snaps/data-1')).toMatchObject({ fullname: 'storage-pool/snaps/data-1', parent: 'data', 'read-only': 'true' });
    expect(detail(() => subs.add({ fs: 'storage-pool', name: 'snaps/data-1', parent: 'data' }))).toBe('failure: subvolume already exists');
    subs.remove('snaps/data-1');
    expect(existsSync(real('storage-pool/snaps/data-1'))).toBe(false);
    expect(existsSync(real('storage-pool/data/d1.img'))).toBe(true);
  });

  describe.skipIf(!canMount)('loop-mounting backing files (root, /dev/loop-control)', () => {
    const mnt = () => join(dir, 'mnt');
    const mount = (file: string) => {
      mkdirSync(mnt(), { recursive: true });
      execFileSync('mount', ['-o', 'loop', file, mnt()]);
    };
    const umount = () => execFileSync('umount', ['-d', mnt()]);

    it('formats and mounts a file disk, and a copy-from clone carries the data', () => {
      execFileSync('mkfs.ext4', ['-q', '-F', real('storage-pool/vols/v1.img')]);
      mount(real('storage-pool/vols/v1.img'));
      try {
        writeFileSync(join(mnt(), 'hello.txt'), 'written on v1');
      } finally {
        umount();
      }
      disks().add({ type: 'file', slot: 'v1-clone', 'file-path': '/storage-pool/vols/v1-clone.img', 'copy-from': 'v1', 'file-size': '192M' });
      expect(statSync(real('storage-pool/vols/v1-clone.img')).size).toBe(192 * MiB);
      mount(real('storage-pool/vols/v1-clone.img'));
      try {
        expect(readFileSync(join(mnt(), 'hello.txt'), 'utf8')).toBe('written on v1');
      } finally {
        umount();
      }
    });
  });
});

describe('NVMe/TCP export names', () => {
  let dir: string;
  let sim: Simulator;
  const disks = () => sim.state.menu('disk');
  const real = (p: string) => join(dir, 'files', p);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'disk-nqn-test-'));
    sim = new Simulator({ dataDir: dir, plugins: [diskPlugin({ poolBytes: 64 * MiB })] });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // MikroTik does not document what RouterOS does with a duplicate NQN; two disks behind one
  // NQN would let a node attach another volume's data, so the simulator refuses it.
  it('refuses a second disk exported under an NQN another disk has, on add and on set', () => {
    const nqn = 'nqn.2000-02.com.mikrotik:pvc-dup';
    disks().add({ type: 'file', slot: 'dup1', 'file-path': '/storage-pool/vols/dup1.img', 'file-size': '1M', 'nvme-tcp-export': 'yes', 'nvme-tcp-server-nqn': nqn });
    expect(detail(() => disks().add({ type: 'file', slot: 'dup2', 'file-path': '/storage-pool/vols/dup2.img', 'file-size': '1M', 'nvme-tcp-export': 'yes', 'nvme-tcp-server-nqn': nqn }))).toBe(
      'failure: already have disk with such nvme-tcp-server-nqn',
    );
    expect(existsSync(real('storage-pool/vols/dup2.img'))).toBe(false);
    disks().add({ type: 'file', slot: 'dup3', 'file-path': '/storage-pool/vols/dup3.img', 'file-size': '1M' });
    expect(detail(() => disks().set('dup3', { 'nvme-tcp-server-nqn': nqn }))).toBe('failure: already have disk with such nvme-tcp-server-nqn');
  });

});
