import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCommand, prefixRegex, val } from './command';
import { RdsError } from './errors';
import { quote } from './quote';
import { validateFilePath, validateNqn, validateRelativeName, validateSlot } from './validate';

// Characters that mean something to a shell or to the RouterOS console.
const META = [';', '|', '&', '$', '`', '(', ')', '<', '>', '\n', '\r', ' ', '\t', '"', "'", '\\', '*', '?', '[', ']', '{', '}', '#', '=', '~', '!', ':', '/', '.', '\0', 'é'];
const nasty = fc.string({ unit: fc.oneof(fc.constantFrom(...META), fc.constantFrom('a', 'Z', '0', '-', '_'), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })), maxLength: 40 });

/** An independent reader of one RouterOS quoted token (docs/routeros.md "Console over SSH"). */
function unquote(token: string): string {
  expect(token.startsWith('"') && token.endsWith('"')).toBe(true);
  const body = token.slice(1, -1);
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    // Inside the token nothing may end the string or start substitution/interpolation.
    expect(c).not.toBe('"');
    expect(c.charCodeAt(0)).toBeGreaterThanOrEqual(0x20);
    expect(c.charCodeAt(0)).toBeLessThan(0x7f);
    if (c !== '\\') {
      expect(['$', '[', ']', '{', '}', ';', '#', '`']).not.toContain(c);
      bytes.push(c.charCodeAt(0));
      continue;
    }
    const hex = /^[0-9A-F]{2}/.exec(body.slice(i + 1, i + 3));
    if (hex) {
      bytes.push(parseInt(hex[0], 16));
      i += 2;
    } else {
      const n = body[++i] as string;
      expect(['"', '\\', '$', '?']).toContain(n);
      bytes.push(n.charCodeAt(0));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

describe('quote', () => {
  it('round-trips any string and leaves nothing active inside the quotes', () => {
    fc.assert(
      fc.property(fc.oneof(nasty, fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })), (s) => {
        expect(unquote(quote(s))).toBe(Buffer.from(s, 'utf8').toString('utf8'));
      }),
      { numRuns: 500 },
    );
  });
});

describe('validators', () => {
  const rejects = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return e instanceof RdsError && e.kind === 'invalid-input';
    }
    return false;
  };

  it('refuse any slot, name or NQN carrying a metacharacter', () => {
    const withMeta = fc.tuple(nasty, fc.constantFrom(';', '|', '&', '$', '`', '"', "'", '\\', ' ', '\n', '\0', '[', ']', '=', '*', '?', '#', '{', '~', '!'), nasty).map(([a, m, b]) => a + m + b);
    fc.assert(
      fc.property(withMeta, (s) => {
        expect(rejects(() => validateSlot(s))).toBe(true);
        expect(rejects(() => validateNqn(`nqn.2000-02.com.mikrotik:${s}`))).toBe(true);
        expect(rejects(() => validateFilePath(`/storage-pool/metal-csi/${s}.img`, ['/storage-pool/metal-csi']))).toBe(true);
        expect(rejects(() => validateRelativeName(`snaps/${s}`))).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('accepts the names the CSI controller uses', () => {
    expect(validateSlot('pvc-4f5e6d7c-aaaa-bbbb-cccc-1234567890ab')).toBeTruthy();
    expect(validateNqn('nqn.2000-02.com.mikrotik:pvc-4f5e6d7c-aaaa-bbbb-cccc-1234567890ab')).toBeTruthy();
    expect(validateFilePath('/storage-pool/metal-csi/pvc-1.img', ['/storage-pool/metal-csi'])).toBeTruthy();
  });

  it('keeps file paths inside the base', () => {
    for (const p of ['/storage-pool/metal-csi/../etc/passwd', '/storage-pool/metal-csi', '/storage-pool/metal-csix/a.img', 'storage-pool/metal-csi/a.img', '/storage-pool/metal-csi//a.img', '/storage-pool/metal-csi/./a.img']) {
      expect(rejects(() => validateFilePath(p, ['/storage-pool/metal-csi'])), p).toBe(true);
    }
    expect(rejects(() => validateFilePath('/storage-pool/metal-csi/a.img', []))).toBe(true);
  });
});

describe('buildCommand', () => {
  it('renders the RDS create command', () => {
    expect(
      buildCommand({
        menu: '/disk',
        verb: 'add',
        args: [
          ['type', val.str('file')],
          ['file-size', val.size(1.5 * 1024 ** 3)],
          ['file-path', val.str('/storage-pool/metal-csi/pvc-1.img')],
          ['slot', val.str('pvc-1')],
          ['nvme-tcp-export', val.bool(true)],
          ['nvme-tcp-server-port', val.int(4420)],
        ],
      }),
    ).toBe('/disk add type="file" file-size=1536M file-path="/storage-pool/metal-csi/pvc-1.img" slot="pvc-1" nvme-tcp-export=yes nvme-tcp-server-port=4420');
    expect(buildCommand({ menu: '/disk', verb: 'set', target: val.find('slot', 'a"b'), args: [['file-size', val.size(2048)]] })).toBe(
      '/disk set [find where slot="a\\"b"] file-size=2K',
    );
    expect(buildCommand({ menu: '/disk', verb: 'print', flags: ['detail'], where: [{ field: 'slot', op: '~', value: prefixRegex('pvc.') }] })).toBe(
      '/disk print detail where slot~"^pvc\\\\."',
    );
  });

  it('refuses words that are not plain names', () => {
    for (const bad of ['/disk;/system/reboot', '/Disk', 'disk', '/disk/']) {
      expect(() => buildCommand({ menu: bad, verb: 'print' })).toThrow(RdsError);
    }
    expect(() => buildCommand({ menu: '/disk', verb: 'print;' })).toThrow(RdsError);
    expect(() => buildCommand({ menu: '/disk', verb: 'add', args: [['a b', val.str('x')]] })).toThrow(RdsError);
    expect(() => buildCommand({ menu: '/disk', verb: 'print', where: [{ field: 'x]', op: '=', value: '' }] })).toThrow(RdsError);
    expect(() => val.int(1.5)).toThrow(RdsError);
  });
});
