// libs/oci's RegistryClient against real registries: pushes (streamed blobs,
// manifests) and pulls from Debian's docker-registry behind htpasswd, and from ours.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType, RegistryClient, RegistryHttpError, digestOf, isNotFound } from '@mikrotik-kube/oci';
import { startDockerRegistry, startRegistry, type RunningRegistry } from './helpers';

async function roundTrip(client: RegistryClient): Promise<void> {
  const layer = Buffer.alloc(3 * 1024 * 1024, 7);
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  await client.pushBlob('client/test', digestOf(layer), layer.length, () => Readable.from([layer.subarray(0, 1000), layer.subarray(1000)]));
  await client.pushBlob('client/test', digestOf(config), config.length, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: digestOf(config), size: config.length },
      layers: [{ mediaType: MediaType.ociLayerGzip, digest: digestOf(layer), size: layer.length }],
    }),
  );
  expect(await client.pushManifest('client/test', 'v1', manifest, MediaType.ociManifest)).toBe(digestOf(manifest));

  const head = await client.headManifest('client/test', 'v1');
  expect(head).toMatchObject({ digest: digestOf(manifest), mediaType: MediaType.ociManifest });
  const got = await client.getManifest('client/test', digestOf(manifest));
  expect(got.bytes.equals(manifest)).toBe(true);
  const blob = await client.getBlob('client/test', digestOf(layer));
  const chunks: Buffer[] = [];
  for await (const c of blob.stream) chunks.push(c as Buffer);
  expect(digestOf(Buffer.concat(chunks))).toBe(digestOf(layer));
  expect(await client.listTags('client/test')).toEqual(['v1']);
  expect(await client.headBlob('client/test', digestOf('absent'))).toBeUndefined();
  await expect(client.getManifest('client/test', 'nope')).rejects.toSatisfy(isNotFound);
}

describe('RegistryClient', () => {
  let upstream: RunningRegistry;
  let ours: RunningRegistry;
  const creds = { user: 'pusher', password: 'pw-123' };
  beforeAll(async () => {
    [upstream, ours] = await Promise.all([startDockerRegistry({ htpasswd: creds }), startRegistry()]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([upstream?.stop(), ours?.stop()]);
  });

  it('pushes and pulls against docker-registry with Basic auth', async () => {
    await roundTrip(new RegistryClient({ baseUrl: upstream.url, credentials: { username: creds.user, password: creds.password } }));
    const anonymous = new RegistryClient({ baseUrl: upstream.url });
    await expect(anonymous.ping()).rejects.toBeInstanceOf(RegistryHttpError);
  }, 60_000);

  it('pushes and pulls against our registry', async () => {
    await roundTrip(new RegistryClient({ baseUrl: ours.url }));
  }, 60_000);
});
