// The console executor over the real state and disk module (no SSH): RouterOS errors,
// `where` expressions, menu paths, output formats — read back with the rds-ssh parsers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCommand, parseAsValue, parsePrint, parseSettings, val } from '@mikrotik-kube/rds-ssh';
import { Simulator } from '../simulator';
import { diskPlugin } from '../disk/plugin';
import { CliExecutor } from './cli-exec';
import { parseCli } from './cli-parser';

describe('console executor', () => {
  let dir: string;
  let sim: Simulator;
  let cli: CliExecutor;
  const run = (line: string) => cli.execute(line);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-test-'));
    sim = new Simulator({ dataDir: dir, version: '7.21', plugins: [diskPlugin({ poolBytes: 100 * 1024 ** 3 })] });
    cli = new CliExecutor(sim.state);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints RouterOS error lines', () => {
    expect(run('/frob print')).toBe('bad command name frob (line 1 column 1)\r\n');
    expect(run('/disk frob')).toBe('bad command name frob (line 1 column 7)\r\n');
    expect(run('/disk print where slot="x')).toBe('syntax error (line 1 column 24)\r\n');
    expect(run('/disk print where slot=$x')).toMatch(/^syntax error \(line 1 column \d+\)\r\n$/);
    expect(run('/disk remove nope')).toBe('no such item\r\n');
    expect(run('/disk add type=file')).toBe('missing =file-path=\r\n');
    expect(run('/disk add type=file file-path=storage-pool/a.img file-size=1G frob=1')).toBe('unknown parameter frob\r\n');
    expect(run('/disk add type=file file-path=storage-pool/a.img file-size=lots')).toBe('invalid value for argument file-size\r\n');
    expect(run('/disk print detail extra')).toBe('expected end of command (line 1 column 20)\r\n');
    expect(run('/disk/btrfs/subvolume add fs=nope name=x')).toBe('input does not match any value of fs\r\n');
  });

  it('adds, finds, sets and removes through [find …] with where expressions', () => {
    expect(run('/disk add type=file file-path=/storage-pool/v/a.img file-size=1G slot=vol-a nvme-tcp-export=yes')).toBe('');
    expect(run('/disk add type=file file-path=/storage-pool/v/b.img file-size=2G slot=vol-b comment="keep me"')).toBe('');
    expect(run('/disk add type=file file-path=/storage-pool/v/c.img file-size=1G slot=vol-a')).toBe('failure: slot already exists\r\n');
    const slots = (where: string) => parsePrint(run(`/disk print detail where ${where}`)).map((r) => r.props['slot']);
    expect(slots('slot~"^vol-"')).toEqual(['vol-a', 'vol-b']);
    expect(slots('slot~"^vol-" and nvme-tcp-export=yes')).toEqual(['vol-a']);
    expect(slots('slot~"^vol-" && !(nvme-tcp-export)')).toEqual(['vol-b']);
    expect(slots('slot="vol-a" or slot="vol-b"')).toEqual(['vol-a', 'vol-b']);
    expect(slots('type=file slot!="vol-a"')).toEqual(['vol-b']);
    expect(slots('mounted and type=raid')).toEqual(['storage-pool']);
    expect(slots('slot="none"')).toEqual([]);
    expect(run('/disk set [find where slot="vol-a"] file-size=3G')).toBe('');
    expect(parsePrint(run('/disk print detail where slot=vol-a'))[0]?.props['file-size']).toBe('3.0GiB');
    expect(run('/disk set [find where slot="vol-a"] file-size=1G')).toBe('failure: can not shrink file\r\n');
    // An empty [find] changes nothing and prints nothing, like the router.
    expect(run('/disk remove [find slot=ghost]')).toBe('');
    // `;` runs commands in order; the first error stops the line.
    expect(run('/disk remove [find slot=vol-b]; /disk frob; /disk remove [find slot=vol-a]')).toBe('bad command name frob (line 1 column 39)\r\n');
    expect(slots('slot~"^vol-"')).toEqual(['vol-a']);
  });

  it('accepts menu words joined by "/" or separated by spaces', () => {
    expect(run('/disk btrfs subvolume add fs=storage-pool name=vols')).toBe('');
    expect(run('/disk/btrfs/subvolume/print terse')).toBe(run('/disk btrfs subvolume print terse'));
    expect(parsePrint(run('/disk/btrfs/subvolume print detail'))[0]?.props).toMatchObject({ fs: 'storage-pool', name: 'vols', 'read-only': 'no' });
    expect(run('/system resource print')).toBe(run('/system/resource/print'));
    expect(parseSettings(run('/system/resource/print'))['version']).toBe('7.21 (stable)');
  });

  it('prints every format so the client parsers read the same rows', () => {
    const detail = parsePrint(run('/disk print detail where type=file'));
    const terse = parsePrint(run('/disk print terse where type=file'));
    const asValue = parseAsValue(run('/disk print as-value where type=file'));
    expect(detail.map((r) => r.props['slot'])).toEqual(['vol-a']);
    expect(terse.map((r) => r.props['slot'])).toEqual(['vol-a']);
    expect(detail[0]?.flags).toEqual(['block-device', 'nvme-tcp-export']);
    expect(terse[0]?.props['size']).toBe('3 221 225 472');
    expect(asValue[0]).toMatchObject({ slot: 'vol-a', 'file-size': String(3 * 1024 ** 3) });
    expect(run('/disk print count-only where type=file')).toBe('1\r\n');
    expect(run('/disk print detail where slot=ghost')).toMatch(/^Flags: X - DISABLED[^\r]*\r\n(\s+[^\r]*\r\n)*$/);
    const table = run('/disk print where type=file').split('\r\n');
    expect(table[3]).toBe('Columns: SLOT, TYPE, MODEL, SIZE, FILE-PATH');
    expect(table[5]).toMatch(/^ 0 Bt +vol-a +file +\/storage-pool\/v\/a\.img +3 221 225 472 +\/storage-pool\/v\/a\.img$/);
  });

  it('wraps detail at 80 columns, splitting long values, and the client re-joins them', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,100}$/), fc.stringMatching(/^[A-Za-z0-9_-]{1,60}(\/[A-Za-z0-9_.-]{1,60}){0,3}$/), (slot, path) => {
        const file = `/storage-pool/p/${path}.img`;
        const out = run(`/disk add type=file slot="${slot}" file-path="${file}" file-size=1M nvme-tcp-export=yes nvme-tcp-server-nqn="nqn.2000-02.com.mikrotik:${slot}"`);
        if (out !== '') return; // duplicate slot or path from an earlier run
        const text = run(`/disk print detail where slot="${slot}"`);
        for (const line of text.split('\r\n')) expect(line.length).toBeLessThanOrEqual(80);
        const [r] = parsePrint(text);
        expect(r?.props).toMatchObject({ slot, 'file-path': file, model: file, 'nvme-tcp-server-nqn': `nqn.2000-02.com.mikrotik:${slot}` });
        expect(run(`/disk remove [find slot="${slot}"]`)).toBe('');
      }),
      { numRuns: 60 },
    );
  });
});

describe('command builder → console parser', () => {
  const menus = ['disk', 'disk/btrfs/subvolume', 'file', 'system/resource'];

  it('any quoted value stays one argument with its exact text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: fc.constantFrom(';', ']', '[', '"', '\\', '$', '\n', 'x', ' ', '=', '#', '{'), maxLength: 20 }), (a, b) => {
        const line = buildCommand({ menu: '/disk', verb: 'set', target: val.find('slot', b), args: [['comment', val.str(a)], ['file-size', val.size(4096)]] });
        const cmds = parseCli(line, menus);
        expect(cmds).toHaveLength(1);
        const [cmd] = cmds;
        expect(cmd?.verb).toBe('set');
        expect(cmd?.args.map(([k]) => k)).toEqual(['comment', 'file-size']);
        expect(cmd?.args[0]?.[1]).toEqual({ kind: 'lit', text: Buffer.from(a, 'utf8').toString('utf8') });
        expect(cmd?.target?.kind === 'sub' && cmd.target.cmd.where).toEqual({ kind: 'cmp', field: 'slot', op: '=', value: { kind: 'lit', text: b } });
      }),
      { numRuns: 500 },
    );
  });
});
