// Layer decompression as streams: gzip through zlib, zstd through fzstd's streaming
// decoder, plain tars passed through. Chosen by the layer's media type; anything else
// (foreign or encrypted layers) is refused rather than guessed.
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { MediaType } from '@mikrotik-kube/oci';
import { invalid } from './errors';

export type Compression = 'none' | 'gzip' | 'zstd';

const BY_MEDIA_TYPE: Record<string, Compression> = {
  [MediaType.ociLayerTar]: 'none',
  [MediaType.ociLayerGzip]: 'gzip',
  [MediaType.ociLayerZstd]: 'zstd',
  [MediaType.dockerLayerGzip]: 'gzip',
  'application/vnd.docker.image.rootfs.diff.tar': 'none',
  'application/vnd.oci.image.layer.nondistributable.v1.tar': 'none',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd': 'zstd',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'gzip',
};

export function compressionOf(mediaType: string): Compression {
  const c = BY_MEDIA_TYPE[mediaType];
  if (c === undefined) throw invalid(`unsupported layer media type ${mediaType}`);
  return c;
}

/** fzstd's push decoder as a Node Transform (it emits decoded blocks synchronously). */
class ZstdDecompress extends Transform {
  private readonly decoder: Decompress;
  constructor() {
    super();
    this.decoder = new Decompress((chunk) => {
      // fzstd reuses its window buffer: copy before handing the bytes downstream.
      if (chunk.length) this.push(Buffer.from(chunk));
    });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.decoder.push(chunk);
      cb();
    } catch (e) {
      cb(invalid(`zstd layer: ${(e as Error).message}`));
    }
  }
  override _flush(cb: TransformCallback): void {
    try {
      this.decoder.push(new Uint8Array(0), true);
      cb();
    } catch (e) {
      cb(invalid(`zstd layer: ${(e as Error).message}`));
    }
  }
}

export function decompressor(c: Compression): Transform {
  // Large output chunks: fewer trips through the hashing and file-writing stages.
  if (c === 'gzip') return createGunzip({ chunkSize: 256 * 1024 });
  if (c === 'zstd') return new ZstdDecompress();
  return new PassThrough();
}
