import http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  AuthorityRewriter,
  buildVolumeContext,
  capabilityProblem,
  filePathFor,
  isVolumeId,
  nqnFor,
  parseVolumeContext,
  parseVolumeParams,
  snapshotIdForName,
  splitTargetedId,
  targetedId,
  uuidV5,
  volumeIdForName,
} from '../src/index';
import { encodeHeaders, HpackDecoder } from '../src/hpack';

describe('naming (compatible with the rds-csi driver)', () => {
  it('keeps pvc names as ids and derives NQN and file path like upstream', () => {
    const id = volumeIdForName('pvc-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0');
    expect(id).toBe('pvc-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0');
    expect(nqnFor('PVC-AB')).toBe('nqn.2000-02.com.mikrotik:pvc-ab');
    expect(filePathFor('/storage-pool/metal-csi', id)).toBe(`/storage-pool/metal-csi/${id}.img`);
  });
  it('uuidV5 matches the RFC 4122 test vector (DNS namespace, "www.example.com")', () => {
    expect(uuidV5('www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(snapshotIdForName('www.example.com')).toBe('snap-2ed6657d-e927-568b-95e1-2665a8aea6a2-at-2ed6657de9');
  });
  it('maps any name to a stable, valid id of at most 124 characters', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 128 }), (name) => {
        const id = volumeIdForName(name);
        expect(id).toBe(volumeIdForName(name));
        expect(isVolumeId(id)).toBe(true);
      }),
    );
    expect(volumeIdForName('a'.repeat(128))).not.toBe(volumeIdForName(`${'a'.repeat(127)}b`));
  });
});

describe('StorageClass parameters', () => {
  it('applies the seed defaults', () => {
    const p = parseVolumeParams({});
    // nvmePort and sshPort default to the controller's target (4420 and 22 in its config).
    expect(p).toMatchObject({ fsType: 'ext4', volumePath: '/storage-pool/metal-csi', nqnPrefix: 'nqn.2000-02.com.mikrotik', ctrlLossTmo: -1 });
  });
  it('rdsAddress and sshPort only select a target: the volume context carries the connection the controller gives', () => {
    const p = parseVolumeParams({ rdsAddress: '10.42.241.3', sshPort: '2222', 'csi.storage.k8s.io/fstype': 'xfs' });
    expect(p).toMatchObject({ rdsAddress: '10.42.241.3', sshPort: 2222, fsType: 'xfs' });
    expect(p.nvmeAddress).toBeUndefined();
    expect(p.nvmePort).toBeUndefined();
    const ctx = buildVolumeContext(p, { nqn: 'nqn.2000-02.com.mikrotik:pvc-1', rdsAddress: '10.42.241.3', nvmeAddress: '10.42.68.1', nvmePort: 4421 });
    expect(ctx).toMatchObject({ rdsAddress: '10.42.241.3', nvmeAddress: '10.42.68.1', nvmePort: '4421', fsType: 'xfs' });
    expect(parseVolumeContext(ctx as unknown as Record<string, string>)).toEqual(ctx);
    expect(parseVolumeParams({ rdsTarget: 'rds-b' }).rdsTarget).toBe('rds-b');
  });
  it('targeted ids: bare ids are the default target, "<target>:<slot>" another', () => {
    expect(targetedId(undefined, 'pvc-1')).toBe('pvc-1');
    expect(splitTargetedId(targetedId('rds-b', 'pvc-1'))).toEqual({ target: 'rds-b', slot: 'pvc-1' });
    expect(splitTargetedId('pvc-1')).toEqual({ slot: 'pvc-1' });
  });
  it.each([
    [{ nvmePort: '0' }, /nvmePort/],
    [{ nvmePort: '44x' }, /integer/],
    [{ fsType: 'btrfs' }, /fsType/],
    [{ volumePath: '/storage-pool/../etc' }, /volumePath/],
    [{ volumePath: 'relative/path' }, /volumePath/],
    [{ nvmeAddress: 'rds.local' }, /IP address/],
    [{ nqnPrefix: 'iqn.bad' }, /nqnPrefix/],
    [{ ctrlLossTmo: '-2' }, /ctrlLossTmo/],
    [{ rdsTarget: 'RDS B' }, /rdsTarget/],
    [{ sshPort: '0' }, /sshPort/],
    [{ volumPath: '/x/y' }, /unknown StorageClass parameter/],
  ])('refuses %j', (params, re) => {
    expect(() => parseVolumeParams(params as Record<string, string>)).toThrow(re);
  });
});

describe('capabilities', () => {
  it('allows RWX only for block', () => {
    const mode = 'MULTI_NODE_MULTI_WRITER' as const;
    expect(capabilityProblem({ block: {}, access_mode: { mode }, access_type: 'block' })).toBeUndefined();
    expect(capabilityProblem({ mount: { fs_type: 'ext4', mount_flags: [], volume_mount_group: '' }, access_mode: { mode }, access_type: 'mount' })).toMatch(/block/);
    expect(capabilityProblem({ block: {}, access_mode: { mode: 'MULTI_NODE_READER_ONLY' }, access_type: 'block' })).toMatch(/not supported/);
  });
});

describe('hpack and the authority rewriter', () => {
  it('decodes what it encodes', () => {
    const h: Array<[string, string]> = [[':authority', 'x'], ['x-long', 'v'.repeat(300)], ['content-type', 'application/grpc']];
    expect(new HpackDecoder().decode(encodeHeaders(h))).toEqual(h);
  });
  it('rewrites a header block split over HEADERS + CONTINUATION and keeps other frames intact', () => {
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    const block = encodeHeaders([[':method', 'POST'], [':authority', ''], [':path', '/csi.v1.Identity/Probe'], ['x-pad', 'p'.repeat(100)]]);
    const frame = (type: number, flags: number, payload: Buffer) => {
      const h = Buffer.alloc(9);
      h.writeUIntBE(payload.length, 0, 3);
      h[3] = type;
      h[4] = flags;
      h.writeUInt32BE(1, 5);
      return Buffer.concat([h, payload]);
    };
    const settings = frame(4, 0, Buffer.alloc(0));
    const input = Buffer.concat([preface, settings, frame(1, 0, block.subarray(0, 10)), frame(9, 4, block.subarray(10)), frame(0, 1, Buffer.from([0, 0, 0, 0, 0]))]);
    const rw = new AuthorityRewriter();
    // Feed byte by byte: frames may arrive split anywhere.
    const out = Buffer.concat([...input].map((b) => rw.push(Buffer.from([b]))));
    expect(out.subarray(0, preface.length + settings.length)).toEqual(Buffer.concat([preface, settings]));
    const rest = out.subarray(preface.length + settings.length);
    const len = rest.readUIntBE(0, 3);
    expect(rest[3]).toBe(1);
    expect(rest[4]).toBe(4);
    expect(new HpackDecoder().decode(rest.subarray(9, 9 + len))).toContainEqual([':authority', 'localhost']);
    expect(rest.subarray(9 + len)).toEqual(frame(0, 1, Buffer.from([0, 0, 0, 0, 0])));
    expect(rw.rewritten).toBe(1);
    expect(http2.constants.NGHTTP2_PROTOCOL_ERROR).toBe(1);
  });
  it('refuses a stream that is not HTTP/2', () => {
    expect(() => new AuthorityRewriter().push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).toThrow(/preface/);
  });
});
