// Edge checks that need no devices: mountinfo parsing, kubelet path confinement, mount flags,
// and the stand-in's nvme-cli argument syntax.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KubeletPaths } from '../src/kubelet-paths';
import { mountFlagProblem } from '../src/mounter';
import { parseMountInfo } from '../src/mountinfo';
import { majMinOf } from '../src/block-device';
import { parseArgs } from './support/nvme-standin';

describe('mountinfo', () => {
  it('parses optional fields, octal escapes and device-node binds', () => {
    const text = [
      '36 35 7:3 / /var/lib/kubelet/staging\\040dir rw,relatime shared:1 master:2 - ext4 /dev/loop3 rw',
      '40 36 0:5 /loop3 /var/lib/kubelet/pods/x/dev ro,nosuid - devtmpfs udev rw,size=1k',
    ].join('\n');
    const [a, b] = parseMountInfo(text);
    expect(a).toMatchObject({ dev: '7:3', root: '/', target: '/var/lib/kubelet/staging dir', fsType: 'ext4', source: '/dev/loop3' });
    expect(b).toMatchObject({ dev: '0:5', root: '/loop3', fsType: 'devtmpfs', options: ['ro', 'nosuid'] });
  });

  it('decodes glibc major:minor encoding', () => {
    expect(majMinOf(0x0703n)).toBe('7:3');
    expect(majMinOf((259n << 8n) | 1n)).toBe('259:1');
    expect(majMinOf(0x110300n)).toBe('259:256'); // minor above 255 lives in the high bits
  });
});

describe('kubelet path confinement', () => {
  const root = mkdtempSync(join(tmpdir(), 'csi-node-paths-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const kubelet = join(root, 'kubelet');
  mkdirSync(join(kubelet, 'pods'), { recursive: true });
  symlinkSync('/etc', join(kubelet, 'pods', 'out'));
  const paths = new KubeletPaths(kubelet);

  it('accepts paths below the root, normalised', () => {
    expect(paths.check('p', `${kubelet}/pods/a/b/`)).toBe(`${kubelet}/pods/a/b`);
    expect(paths.check('p', `${kubelet}//pods/new`)).toBe(`${kubelet}/pods/new`);
  });

  it.each([
    ['', 'required'],
    ['relative/path', 'absolute'],
    [kubelet, 'outside'],
    [`${kubelet}-evil/x`, 'outside'],
    [`${kubelet}/../etc`, '..'],
    [`${kubelet}/pods/out/passwd`, 'resolves outside'],
    [`${kubelet}/pods/a\nb`, 'control'],
    ['/etc/passwd', 'outside'],
  ])('refuses %j', (p, why) => {
    expect(() => paths.check('target_path', p)).toThrow(why);
  });
});

describe('mount flags', () => {
  it('allows ordinary options and refuses ones that change what is mounted where', () => {
    expect(mountFlagProblem(['noatime', 'discard', 'data=ordered', 'context=system_u:object_r:x:s0'])).toBeUndefined();
    expect(mountFlagProblem(['bind'])).toMatch(/not allowed/);
    expect(mountFlagProblem(['noatime,remount'])).toMatch(/not allowed/);
    expect(mountFlagProblem(['x;reboot'])).toMatch(/characters/);
    expect(mountFlagProblem(['a b'])).toMatch(/characters/);
  });
});

describe('nvme stand-in argument syntax (nvme-cli argconfig)', () => {
  it('reads short, long and --opt=value forms', () => {
    const { opts } = parseArgs(['-t', 'tcp', '--traddr=127.0.0.1', '-s4420', '--nqn', 'nqn.x:y', '-l', '-1', '-o', 'json', '--duplicate-connect']);
    expect(Object.fromEntries(opts)).toEqual({ transport: 'tcp', traddr: '127.0.0.1', trsvcid: '4420', nqn: 'nqn.x:y', 'ctrl-loss-tmo': '-1', 'output-format': 'json', 'duplicate-connect': 'true' });
    expect(() => parseArgs(['-n'])).toThrow(/requires an argument/);
  });
});
