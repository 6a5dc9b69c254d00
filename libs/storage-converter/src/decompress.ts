// Layer decompression as streams: gzip and zstd through node:zlib (zstd since Node 22.15,
// native and several times faster than a JavaScript decoder), plain tars passed through.
// Chosen by the layer's media type; anything else (foreign or encrypted layers) is refused
// rather than guessed.
import { PassThrough, type Transform } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';
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

/** Large output chunks: fewer trips through the hashing and file-writing stages. */
const CHUNK = 256 * 1024;

export function decompressor(c: Compression): Transform {
  if (c === 'gzip') return createGunzip({ chunkSize: CHUNK });
  if (c === 'zstd') return createZstdDecompress({ chunkSize: CHUNK });
  return new PassThrough();
}

/** A corrupt layer is the image's fault: zlib's errors (codes Z_*) become bad input naming the format. */
export function asLayerError(c: Compression, e: unknown): unknown {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('Z_') ? invalid(`${c} layer: ${(e as Error).message}`) : e;
}
