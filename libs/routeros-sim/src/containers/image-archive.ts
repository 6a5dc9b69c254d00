// Checks a `file=` image tarball the way RouterOS does (docs/routeros.md "Containers"): a
// single-platform docker-archive (`manifest.json` + config + layers) for the router's
// architecture. OCI layouts and multi-image archives fail like on the router.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import tar from 'tar-stream';

export const NO_MANIFEST = 'could not find image manifest in archive';

export interface ImageConfig {
  architecture?: string;
  os?: string;
  config?: { Cmd?: string[]; Entrypoint?: string[]; WorkingDir?: string; User?: string; Env?: string[] };
}

export interface ImageInfo {
  config: ImageConfig;
  repoTag: string;
  layers: string[];
  /** Where each layer's blob was saved (same order), when the caller asked for the blobs. */
  layerFiles?: string[];
}

export class ImageError extends Error {}

const SMALL = 4 * 1024 * 1024;

const blobName = (entry: string) => `blob-${createHash('sha256').update(entry).digest('hex')}`;

/**
 * Reads the archive and returns its single image, or throws ImageError with the router's text.
 * With `blobDir`, every member is also saved there, so the layers can be applied in order.
 */
export async function readDockerArchive(path: string, blobDir?: string): Promise<ImageInfo> {
  if (blobDir) mkdirSync(blobDir, { recursive: true });
  const small = new Map<string, Buffer>();
  const names = new Set<string>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const name = header.name.replace(/^\.\//, '');
    names.add(name);
    if (header.type === 'file' && blobDir) {
      const out = createWriteStream(join(blobDir, blobName(name)));
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: unknown) => {
        size += (c as Buffer).length;
        if (size <= SMALL) chunks.push(c as Buffer);
      });
      pipeline(stream, out).then(
        () => {
          if (size <= SMALL) small.set(name, Buffer.concat(chunks));
          next();
        },
        (e: unknown) => next(e as Error),
      );
    } else if (header.type === 'file' && (header.size ?? 0) <= SMALL) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        small.set(name, Buffer.concat(chunks));
        next();
      });
    } else {
      stream.on('end', () => next());
      stream.resume();
    }
  });
  const head = await firstBytes(path);
  const source = createReadStream(path);
  try {
    if (head[0] === 0x1f && head[1] === 0x8b) await pipeline(source, createGunzip(), extract, new Writable({ write: (_c, _e, cb) => cb() }));
    else await pipeline(source, extract);
  } catch {
    throw new ImageError(NO_MANIFEST);
  }
  const manifestRaw = small.get('manifest.json');
  if (!manifestRaw) throw new ImageError(NO_MANIFEST);
  let manifest: Array<{ Config?: string; RepoTags?: string[] | null; Layers?: string[] }>;
  try {
    manifest = JSON.parse(manifestRaw.toString('utf8'));
  } catch {
    throw new ImageError(NO_MANIFEST);
  }
  const entry = manifest[0];
  if (!Array.isArray(manifest) || manifest.length !== 1 || !entry?.Config) throw new ImageError(NO_MANIFEST);
  const configRaw = small.get(entry.Config);
  if (!configRaw) throw new ImageError(NO_MANIFEST);
  const layers = entry.Layers ?? [];
  for (const l of layers) if (!names.has(l)) throw new ImageError('failed to extract layer');
  let config: ImageConfig;
  try {
    config = JSON.parse(configRaw.toString('utf8')) as ImageConfig;
  } catch {
    throw new ImageError(NO_MANIFEST);
  }
  const layerFiles = blobDir ? layers.map((l) => join(blobDir, blobName(l))) : undefined;
  return { config, repoTag: entry.RepoTags?.[0] ?? '', layers, ...(layerFiles ? { layerFiles } : {}) };
}

async function firstBytes(path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(path, { start: 0, end: 1 })) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** OCI/Docker architecture names for a RouterOS `architecture-name`. */
export function ociArch(arch: 'arm64' | 'arm' | 'x86'): string {
  return arch === 'x86' ? 'amd64' : arch;
}
