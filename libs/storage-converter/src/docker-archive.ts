// Writes the `docker save` v1 archive RouterOS imports (docs/routeros.md "Containers"): manifest.json,
// repositories, `<sha256(config)>.json`, and per layer `<id>/VERSION`, `<id>/json`,
// `<id>/layer.tar` with the uncompressed layer, where id = hex of the layer's diff id.
// Layers are streamed from files already on disk, so memory stays bounded by the tar
// packer's buffers whatever the image size. The archive appears atomically.
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

export interface ArchiveLayer {
  /** Hex sha256 of the uncompressed layer tar (the diff id without `sha256:`). */
  id: string;
  /** Uncompressed layer tar on local disk. */
  path: string;
  size: number;
}

export interface ArchiveInput {
  /** The image config exactly as pulled (its digest names the file). */
  config: Buffer;
  configHex: string;
  /** e.g. `registry.local/app` and `1.2` */
  repository: string;
  tag: string;
  layers: ArchiveLayer[];
}

const EPOCH = new Date(0);

function layerJson(id: string, parent: string | undefined): string {
  return JSON.stringify({ id, ...(parent ? { parent } : {}), created: '1970-01-01T00:00:00Z', container_config: {}, os: 'linux' });
}

/** Writes the archive to `dest` (via `dest.partial`), fsynced; returns its size. */
export async function writeDockerArchive(input: ArchiveInput, dest: string, onBytes?: (n: number) => void): Promise<number> {
  const tmp = `${dest}.partial`;
  const pack = tar.pack();
  const out = createWriteStream(tmp);
  let written = 0;
  pack.on('data', (c: unknown) => {
    written += (c as Buffer).length;
    onBytes?.(written);
  });
  const done = pipeline(pack, out);
  const small = (name: string, data: string | Buffer) =>
    new Promise<void>((resolve, reject) => pack.entry({ name, mode: 0o644, mtime: EPOCH }, Buffer.from(data), (err) => (err ? reject(err) : resolve())));
  try {
    const ref = `${input.repository}:${input.tag}`;
    const layerNames = input.layers.map((l) => `${l.id}/layer.tar`);
    const last = input.layers[input.layers.length - 1];
    await small('manifest.json', JSON.stringify([{ Config: `${input.configHex}.json`, RepoTags: [ref], Layers: layerNames }]));
    await small('repositories', JSON.stringify({ [input.repository]: { [input.tag]: last?.id ?? '' } }));
    await small(`${input.configHex}.json`, input.config);
    const seen = new Set<string>();
    let parent: string | undefined;
    for (const l of input.layers) {
      // A layer repeated in the image (identical diff id) is stored once and listed twice.
      if (!seen.has(l.id)) {
        seen.add(l.id);
        await small(`${l.id}/VERSION`, '1.0');
        await small(`${l.id}/json`, layerJson(l.id, parent));
        await new Promise<void>((resolve, reject) => {
          const entry = pack.entry({ name: `${l.id}/layer.tar`, size: l.size, mode: 0o644, mtime: EPOCH }, (err) => (err ? reject(err) : resolve()));
          pipeline(createReadStream(l.path, { highWaterMark: 1 << 20 }), entry).catch(reject);
        });
      }
      parent = l.id;
    }
    pack.finalize();
    await done;
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, dest);
    return written;
  } catch (err) {
    pack.destroy();
    await done.catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}
