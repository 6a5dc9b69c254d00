// Digests: parsing (sha256/sha512 with the spec's encoded-length rules) and
// verification while streaming, so a blob is checked without being held in memory.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export type DigestAlgorithm = 'sha256' | 'sha512';

export interface Digest {
  algorithm: DigestAlgorithm;
  hex: string;
  /** `<algorithm>:<hex>` */
  value: string;
}

const hexLength: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

export class DigestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DigestError';
  }
}

/** Parses `sha256:<64 lowercase hex>` (or sha512); throws DigestError otherwise. */
export function parseDigest(value: string): Digest {
  const m = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/.exec(value);
  if (!m) throw new DigestError(`invalid digest ${JSON.stringify(value)}`);
  const algorithm = m[1] as string;
  const hex = m[2] as string;
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw new DigestError(`unsupported digest algorithm ${JSON.stringify(algorithm)}`);
  }
  if (!new RegExp(`^[a-f0-9]{${hexLength[algorithm]}}$`).test(hex)) {
    throw new DigestError(`invalid ${algorithm} digest ${JSON.stringify(value)}`);
  }
  return { algorithm, hex, value };
}

export function isDigest(value: string): boolean {
  try {
    parseDigest(value);
    return true;
  } catch {
    return false;
  }
}

export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/**
 * A pass-through stream that hashes and counts what flows through it. `digest`
 * and `size` are final once the stream has ended.
 */
export class DigestingStream extends Transform {
  private readonly hash: Hash;
  size = 0;
  private result: string | undefined;

  constructor(readonly algorithm: DigestAlgorithm = 'sha256') {
    super();
    this.hash = createHash(algorithm);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.result = `${this.algorithm}:${this.hash.digest('hex')}`;
    cb();
  }

  get digest(): string {
    if (this.result === undefined) throw new Error('digest read before the stream ended');
    return this.result;
  }
}

/** Streams through `expected`'s algorithm and fails the pipeline on a mismatch at the end. */
export class VerifyingStream extends Transform {
  private readonly hash: Hash;
  size = 0;

  constructor(readonly expected: Digest, readonly expectedSize?: number) {
    super();
    this.hash = createHash(expected.algorithm);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (this.expectedSize !== undefined && this.size > this.expectedSize) {
      cb(new DigestError(`content is larger than the expected ${this.expectedSize} bytes`));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const got = `${this.expected.algorithm}:${this.hash.digest('hex')}`;
    if (this.expectedSize !== undefined && this.size !== this.expectedSize) {
      cb(new DigestError(`content is ${this.size} bytes, expected ${this.expectedSize}`));
    } else if (got !== this.expected.value) {
      cb(new DigestError(`content digest ${got} does not match ${this.expected.value}`));
    } else cb();
  }
}
