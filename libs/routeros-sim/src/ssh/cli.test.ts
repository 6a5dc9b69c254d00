// The console executor over the real state and disk module (no SSH): RouterOS errors,
// `where` expressions, menu paths and output formats. (rds-ssh reads this output back with
// its parsers in its own tests.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Simulator } from '../simulator';
import { diskPlugin } from '../disk/plugin';
import { CliExecutor } from './cli-exec';

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
    const slots = (where: string) => [...run(`/disk print detail where ${where}`).matchAll(/ slot="([^"]*)"/g)].map((m) => m[1]);
    expect(slots('slot~"^vol-"')).toEqual(['vol-a', 'vol-b']);
    expect(slots('slot~"^vol-" and nvme-tcp-export=yes')).toEqual(['vol-a']);
    expect(slots('slot~"^vol-" && !(nvme-tcp-export)')).toEqual(['vol-b']);
    expect(slots('slot="vol-a" or slot="vol-b"')).toEqual(['vol-a', 'vol-b']);
    expect(slots('type=file slot!="vol-a"')).toEqual(['vol-b']);
    expect(slots('mounted and type=raid')).toEqual(['storage-pool']);
    expect(slots('slot="none"')).toEqual([]);
    expect(run('/disk set [find where slot="vol-a"] file-size=3G')).toBe('');
    expect(run('/disk print detail where slot=vol-a')).toContain(' file-size=3.0GiB ');
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
    expect(run('/disk/btrfs/subvolume print detail')).toMatch(/^ 0 M +fs="storage-pool" name="vols" parent="" fullname="storage-pool\/vols"\r\n +read-only=no /m);
    expect(run('/system resource print')).toBe(run('/system/resource/print'));
    expect(run('/system/resource/print')).toMatch(/^ +version: 7\.21 \(stable\)\r$/m);
  });

  it('prints detail, terse, as-value, count-only and table views', () => {
    const detail = run('/disk print detail where type=file').split('\r\n');
    expect(detail.slice(0, 3).join('\n')).toMatch(/^Flags: X - DISABLED, E - EMPTY/);
    expect(detail[3]).toBe(' 0 Bt type=file slot="vol-a" slot-default="" parent="" fs=-');
    expect(detail.slice(4).every((l) => l === '' || l.startsWith('      '))).toBe(true);
    const terse = run('/disk print terse where type=file');
    expect(terse).toMatch(/^ 0 Bt type=file slot=vol-a slot-default= parent= fs=- model=\/storage-pool\/v\/a\.img size=3 221 225 472 .* file-size=3\.0GiB file-offset=0 disabled=no\r\n$/);
    expect(run('/disk print as-value where type=file')).toMatch(/^\.id=\*\d+;comment=|^\.id=\*\d+;/);
    expect(run('/disk print as-value where type=file')).toContain(`;file-size=${3 * 1024 ** 3};`);
    expect(run('/disk print count-only where type=file')).toBe('1\r\n');
    expect(run('/disk print detail where slot=ghost')).toMatch(/^Flags: X - DISABLED[^\r]*\r\n(\s+[^\r]*\r\n)*$/);
    const table = run('/disk print where type=file').split('\r\n');
    expect(table[3]).toBe('Columns: SLOT, TYPE, MODEL, SIZE, FILE-PATH');
    expect(table[5]).toMatch(/^ 0 Bt +vol-a +file +\/storage-pool\/v\/a\.img +3 221 225 472 +\/storage-pool\/v\/a\.img$/);
  });

  it('wraps detail at 80 columns and splits a value longer than a line', () => {
    const long = `/storage-pool/${'d'.repeat(70)}/${'f'.repeat(90)}.img`;
    expect(run(`/disk add type=file slot=long file-path="${long}" file-size=1M`)).toBe('');
    const lines = run('/disk print detail where slot=long').split('\r\n');
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    const body = lines.slice(3).filter((l) => l !== '');
    const start = body.findIndex((l) => l.includes('file-path='));
    expect(body[start]?.length).toBe(80);
    expect(body[start]?.trim() + (body[start + 1]?.trim() ?? '') + (body[start + 2]?.trim().split(' ')[0] ?? '')).toContain(`file-path=${long}`);
    expect(run('/disk remove long')).toBe('');
  });
});
