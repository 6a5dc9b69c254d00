import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { DigestingStream, VerifyingStream, digestOf, parseDigest } from './digest';

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

describe('digests', () => {
  it('parses sha256 and sha512 and rejects anything else', () => {
    const h = 'ab'.repeat(32);
    expect(parseDigest(`sha256:${h}`)).toEqual({ algorithm: 'sha256', hex: h, value: `sha256:${h}` });
    expect(parseDigest(`sha512:${'c'.repeat(128)}`).algorithm).toBe('sha512');
    for (const bad of [`sha256:${h.toUpperCase()}`, `sha256:${h}0`, 'sha256:', `md5:${h}`, h, `sha256:../${h}`]) {
      expect(() => parseDigest(bad), bad).toThrow();
    }
  });

  it('hashes streams in chunks the same as whole buffers', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const d = new DigestingStream();
    await pipeline(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), d, sink());
    expect(d.digest).toBe(`sha256:${createHash('sha256').update(data).digest('hex')}`);
    expect(d.size).toBe(data.length);
  });

  it('fails a stream whose digest or size does not match', async () => {
    const data = Buffer.from('hello');
    await pipeline(Readable.from([data]), new VerifyingStream(parseDigest(digestOf(data)), 5), sink());
    await expect(pipeline(Readable.from([data]), new VerifyingStream(parseDigest(digestOf('other'))), sink())).rejects.toThrow(/does not match/);
    await expect(pipeline(Readable.from([data]), new VerifyingStream(parseDigest(digestOf(data)), 4), sink())).rejects.toThrow(/larger/);
  });
});
