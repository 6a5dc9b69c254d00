// The client's builder and parsers against the simulator's console: what we build parses
// to exactly the intended command, and what the console prints (over SSH) parses back.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCli } from '@mikrotik-kube/routeros-sim';
import { buildCommand, parseAsValue, parsePrint, parseSettings, val, type RdsClient } from '../src';
import { startSim, type SimHandle } from './sim';

describe('command builder → console parser', () => {
  const menus = ['disk', 'disk/btrfs/subvolume', 'file', 'system/resource'];

  it('any quoted value stays one argument with its exact text (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 60 }),
        fc.string({ unit: fc.constantFrom(';', ']', '[', '"', '\\', '$', '\n', 'x', ' ', '=', '#', '{'), maxLength: 20 }),
        (a, b) => {
          const line = buildCommand({ menu: '/disk', verb: 'set', target: val.find('slot', b), args: [['comment', val.str(a)], ['file-size', val.size(4096)]] });
          const cmds = parseCli(line, menus);
          expect(cmds).toHaveLength(1);
          const [cmd] = cmds;
          expect(cmd?.menu).toBe('disk');
          expect(cmd?.verb).toBe('set');
          expect(cmd?.args.map(([k]) => k)).toEqual(['comment', 'file-size']);
          expect(cmd?.args[0]?.[1]).toEqual({ kind: 'lit', text: Buffer.from(a, 'utf8').toString('utf8') });
          expect(cmd?.target?.kind === 'sub' && cmd.target.cmd.where).toEqual({ kind: 'cmp', field: 'slot', op: '=', value: { kind: 'lit', text: b } });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('console output over SSH → client parsers', () => {
  let h: SimHandle;
  let c: RdsClient;
  const exec = async (line: string) => (await c.connection.exec(line)).stdout;

  beforeAll(async () => {
    h = await startSim();
    c = h.client();
  });
  afterAll(() => h.stop());

  it('reads the same rows from detail, terse and as-value', async () => {
    await c.createVolume({ slot: 'pvc-f', filePath: '/storage-pool/metal-csi/pvc-f.img', sizeBytes: 5 * 1024 ** 3, export: { port: 4420, nqn: 'nqn.2000-02.com.mikrotik:pvc-f' }, comment: 'a "quoted" comment' });
    const [d] = parsePrint(await exec('/disk print detail where slot="pvc-f"'));
    const [t] = parsePrint(await exec('/disk print terse where slot="pvc-f"'));
    const [v] = parseAsValue(await exec('/disk print as-value where slot="pvc-f"'));
    expect(d?.comment).toBe('a "quoted" comment');
    expect(d?.flags).toEqual(['block-device', 'nvme-tcp-export']);
    expect(t?.props['comment']).toBe('a "quoted" comment');
    for (const k of ['slot', 'file-path', 'nvme-tcp-server-nqn', 'nvme-tcp-server-port', 'size', 'file-size', 'model']) {
      expect(t?.props[k], k).toBe(d?.props[k]);
    }
    expect(v).toMatchObject({ slot: 'pvc-f', 'file-size': String(5 * 1024 ** 3), 'nvme-tcp-export': 'true' });
    expect(parseSettings(await exec('/system/resource/print'))['version']).toBe('7.21 (stable)');
    expect(parsePrint(await exec('/disk print detail where slot="nothing"'))).toEqual([]);
  });

  it('re-joins long names split at 80 columns (property)', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[a-z0-9][a-z0-9-]{20,110}$/), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,59}(\/[A-Za-z0-9_][A-Za-z0-9_.-]{0,59}){0,2}$/), async (slotTail, path) => {
        const slot = `s${n++}-${slotTail}`;
        const filePath = `/storage-pool/metal-csi/${path}-${n}.img`;
        const v = await c.createVolume({ slot, filePath, sizeBytes: 1024 * 1024, export: { port: 4420, nqn: `nqn.2000-02.com.mikrotik:${slot}` } });
        expect(v).toMatchObject({ slot, filePath, nqn: `nqn.2000-02.com.mikrotik:${slot}`, sizeBytes: 1024 * 1024 });
        const raw = await exec(`/disk print detail where slot="${slot}"`);
        expect(raw.split('\r\n').every((l) => l.length <= 80)).toBe(true);
        expect(await c.deleteVolume(slot)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });
});
