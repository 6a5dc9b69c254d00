import { describe, expect, it } from 'vitest';
import { findRouterError, routerError } from './errors';
import { parseAsValue, parsePairs, parsePrint, parseSettings } from './parse';
import { formatSizeArg, parseGroupedInt, parseSize } from './values';

// Real-hardware shape of one file disk (rds-csi pkg/rds/commands_test.go, docs/routeros.md "Console over SSH"),
// as RouterOS sends it over SSH exec: CRLF, legend, index + flags, indented continuation.
const HW_DETAIL = [
  'Flags: B - BLOCK-DEVICE; M - MOUNTED; t - NVME-TCP-EXPORT',
  ' 0 B t type=file slot="pvc-test-123" slot-default="" parent="" fs=-',
  '       model="/storage-pool/test.img"',
  '       size=53 687 091 200 mount-filesystem=yes mount-read-only=no',
  '       compress=no sector-size=512 raid-master=none',
  '       nvme-tcp-export=yes nvme-tcp-server-port=4420',
  '       nvme-tcp-server-nqn="nqn.2000-02.com.mikrotik:pvc-test-123"',
  '       nvme-tcp-server-allow-host-name="" iscsi-export=no',
  '       nfs-sharing=no smb-sharing=no media-sharing=no',
  '       media-interface=none swap=no',
  '       file-path=/storage-pool/test.img',
  '       file-size=50.0GiB file-offset=0',
  '',
].join('\r\n');

describe('parsePrint (detail)', () => {
  it('parses the real-hardware file disk record', () => {
    const [r, ...rest] = parsePrint(HW_DETAIL);
    expect(rest).toHaveLength(0);
    expect(r?.index).toBe(0);
    expect(r?.flags).toEqual(['block-device', 'nvme-tcp-export']);
    expect(r?.props).toMatchObject({
      type: 'file',
      slot: 'pvc-test-123',
      'slot-default': '',
      fs: '-',
      model: '/storage-pool/test.img',
      size: '53 687 091 200',
      'nvme-tcp-server-port': '4420',
      'nvme-tcp-server-nqn': 'nqn.2000-02.com.mikrotik:pvc-test-123',
      'file-path': '/storage-pool/test.img',
      'file-size': '50.0GiB',
      'file-offset': '0',
    });
    expect(parseGroupedInt(r?.props.size)).toBe(53_687_091_200);
    expect(parseSize(r?.props['file-size'])).toBe(53_687_091_200);
  });

  it('re-joins a long value split at the terminal width', () => {
    const out = [
      'Flags: B - BLOCK-DEVICE',
      ' 0 B  type=file slot="pvc-4f5e6d7c-aaaa-bbbb-cccc-1234567890ab"',
      '      file-path=/storage-pool/metal-csi/pvc-4f5e6d7c-aaaa-bbbb-cccc-1234567',
      '      890ab.img file-size=1.0GiB',
      '      nvme-tcp-server-nqn="nqn.2000-02.com.mikrotik:pvc-4f5e6d7c-aaaa-bbbb-cc',
      '      cc-1234567890ab" size=1 073',
      '      741 824',
      '',
    ].join('\r\n');
    const [r] = parsePrint(out);
    expect(r?.props['file-path']).toBe('/storage-pool/metal-csi/pvc-4f5e6d7c-aaaa-bbbb-cccc-1234567890ab.img');
    expect(r?.props['nvme-tcp-server-nqn']).toBe('nqn.2000-02.com.mikrotik:pvc-4f5e6d7c-aaaa-bbbb-cccc-1234567890ab');
    expect(r?.props['file-size']).toBe('1.0GiB');
    expect(parseGroupedInt(r?.props.size)).toBe(1_073_741_824);
  });

  it('returns no rows for the bare Flags legend (nothing matched)', () => {
    expect(parsePrint('Flags: X - DISABLED, B - BLOCK-DEVICE; M - MOUNTED\r\n')).toEqual([]);
    expect(parsePrint('')).toEqual([]);
  });

  it('reads ;;; comments on the index line, on their own line, and before a table row', () => {
    const detail = parsePrint(' 0  ;;; managed by csi\r\n     name="a" x=1\r\n\r\n 1 X ;;; second\r\n     name="b"\r\n');
    expect(detail.map((r) => [r.comment, r.props.name, r.flags])).toEqual([
      ['managed by csi', 'a', []],
      ['second', 'b', ['X']],
    ]);
    const table = parsePrint('Flags: X - disabled\r\n;;; tagged\r\n 3  name=c\r\n');
    expect(table).toEqual([{ index: 3, flags: [], comment: 'tagged', props: { name: 'c' } }]);
  });

  it('keeps multi-digit indexes and wrapped legends apart from rows', () => {
    const legend =
      'Flags: X - DISABLED, A - ACQUIRED, E - EMPTY, B - BLOCK-DEVICE, M - MOUNTED,\r\n' +
      '       F - FORMATTING; t - NVME-TCP-EXPORT\r\n';
    const rows = Array.from({ length: 12 }, (_, i) => `${String(i).padStart(2)} BM  slot="d${i}" size=1 024`).join('\r\n');
    const parsed = parsePrint(legend + rows);
    expect(parsed).toHaveLength(12);
    expect(parsed[11]).toMatchObject({ index: 11, flags: ['block-device', 'mounted'], props: { slot: 'd11', size: '1 024' } });
  });

  it('decodes escapes in quoted values', () => {
    expect(parsePairs('a="x \\"y\\" \\\\ \\$z \\_ \\C3\\A9" b=2')).toEqual({ a: 'x "y" \\ $z   é', b: '2' });
  });
});

describe('parsePrint (terse)', () => {
  it('splits unquoted values with spaces on the next key', () => {
    // 7.x terse: no quoting, grouped numbers, empty values as `key=`.
    const out =
      ' 0   name=storage-pool/metal-csi/pvc-1.img type=.img file size=10 737 418 240 last-modified=2025-11-11 14:32:41\r\n' +
      ' 1 BM comment=ge to site1 slot=raid1 label=\r\n';
    const [a, b] = parsePrint(out);
    expect(a?.props).toEqual({
      name: 'storage-pool/metal-csi/pvc-1.img',
      type: '.img file',
      size: '10 737 418 240',
      'last-modified': '2025-11-11 14:32:41',
    });
    expect(b).toMatchObject({ index: 1, flags: ['B', 'M'], props: { comment: 'ge to site1', slot: 'raid1', label: '' } });
  });
});

describe('other formats', () => {
  it('parses as-value dicts', () => {
    expect(parseAsValue('.id=*1;slot=a;size=10;.id=*A;slot=b;size=20\r\n')).toEqual([
      { '.id': '*1', slot: 'a', size: '10' },
      { '.id': '*A', slot: 'b', size: '20' },
    ]);
  });

  it('parses settings menus (system resource)', () => {
    const out = '                   uptime: 1d2h\r\n                  version: 7.16.2 (stable)\r\n          free-hdd-space: 5632.4GiB\r\n';
    expect(parseSettings(out)).toEqual({ uptime: '1d2h', version: '7.16.2 (stable)', 'free-hdd-space': '5632.4GiB' });
  });

  it('parses capacity numbers (reference fixture)', () => {
    const [r] = parsePrint(
      ' 0   name=/storage-pool type=directory size=7 681 574 174 720\r\n      free=5 632 440 000 000 use=27%\r\n',
    );
    expect(parseGroupedInt(r?.props.size)).toBe(7_681_574_174_720);
    expect(parseGroupedInt(r?.props.free)).toBe(5_632_440_000_000);
  });
});

describe('sizes', () => {
  it('formats exact sizes without truncation', () => {
    expect(formatSizeArg(10 * 1024 ** 3)).toBe('10G');
    expect(formatSizeArg(1.5 * 1024 ** 3)).toBe('1536M');
    expect(formatSizeArg(1024 ** 4)).toBe('1T');
    expect(formatSizeArg(1000)).toBe('1000');
    expect(parseSize('1536M')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('1924.1KiB')).toBe(Math.round(1924.1 * 1024));
    expect(parseSize('nonsense')).toBeUndefined();
  });
});

describe('router errors', () => {
  it.each([
    ['failure: not enough space', 'no-space'],
    ['no such item', 'not-found'],
    ['failure: already have such entry', 'already-exists'],
    ['syntax error (line 1 column 12)', 'router'],
    ['input does not match any value of slot', 'router'],
    ['bad command name frob (line 1 column 7)', 'router'],
  ])('%s → %s', (line, kind) => {
    const found = findRouterError(`Flags: X - disabled\r\n${line}\r\n`);
    expect(found).toBe(line);
    expect(routerError(found as string, '/x').kind).toBe(kind);
  });

  it('does not mistake data for errors', () => {
    expect(findRouterError(HW_DETAIL)).toBeUndefined();
    expect(findRouterError(' 0  ;;; failure: old note\r\n     comment="no such item"\r\n')).toBeUndefined();
  });
});
