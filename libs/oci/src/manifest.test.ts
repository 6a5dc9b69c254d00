import { describe, expect, it } from 'vitest';
import { digestOf } from './digest';
import { ManifestError, parseManifest } from './manifest';
import { MediaType } from './media-types';

const desc = (mediaType: string, content: string) => ({ mediaType, digest: digestOf(content), size: content.length });
const enc = (doc: unknown) => Buffer.from(JSON.stringify(doc));

describe('parseManifest', () => {
  it('lists the blobs of an image manifest and defaults artifactType to the config media type', () => {
    const config = desc('application/vnd.example+json', '{}');
    const layer = desc(MediaType.ociLayerGzip, 'layer');
    const foreign = { ...desc(MediaType.ociLayerGzip, 'foreign'), urls: ['https://example.com/l'] };
    const p = parseManifest(enc({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [layer, foreign] }));
    expect(p.blobs.map((b) => b.digest)).toEqual([config.digest, layer.digest]);
    expect(p.artifactType).toBe('application/vnd.example+json');
  });

  it('lists the children of an index and its subject', () => {
    const child = desc(MediaType.ociManifest, 'child');
    const subject = desc(MediaType.ociManifest, 'subject');
    const p = parseManifest(enc({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [child], subject }), MediaType.ociIndex);
    expect(p.children).toEqual([child]);
    expect(p.subject).toEqual(subject);
  });

  it('accepts Docker schema 2 manifests and lists', () => {
    const config = desc(MediaType.dockerConfig, '{}');
    expect(parseManifest(enc({ schemaVersion: 2, mediaType: MediaType.dockerManifest, config, layers: [] })).mediaType).toBe(
      MediaType.dockerManifest,
    );
    expect(parseManifest(enc({ schemaVersion: 2, mediaType: MediaType.dockerManifestList, manifests: [] })).mediaType).toBe(
      MediaType.dockerManifestList,
    );
  });

  it.each([
    ['not JSON', Buffer.from('{')],
    ['schema 1', enc({ schemaVersion: 1 })],
    ['bad digest', enc({ schemaVersion: 2, config: { mediaType: 'x', digest: 'sha256:nope', size: 1 }, layers: [] })],
    ['negative size', enc({ schemaVersion: 2, config: { ...desc('x', 'a'), size: -1 }, layers: [] })],
    ['no layers', enc({ schemaVersion: 2, config: desc('x', 'a') })],
    ['unknown media type', enc({ schemaVersion: 2, mediaType: 'text/plain', config: desc('x', 'a'), layers: [] })],
  ])('rejects %s', (_name, bytes) => {
    expect(() => parseManifest(bytes)).toThrow(ManifestError);
  });

  it('rejects a body whose mediaType contradicts the Content-Type', () => {
    const doc = enc({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: desc('x', 'a'), layers: [] });
    expect(() => parseManifest(doc, MediaType.dockerManifest)).toThrow(/does not match/);
  });
});
