// Pulls from a registry that requires credentials: the converter authenticates with the
// configured user (libs/oci client: challenge, then credentials per scope), and without
// them the caller gets FAILED_PRECONDITION rather than a misleading NOT_FOUND.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { Rig, ensure, must, skopeo } from './harness';
import { pushImage } from './images';
import { join } from 'node:path';
import { freePort } from '@mikrotik-kube/test-support';

describe('registry with authentication', () => {
  const rig = new Rig();
  beforeAll(async () => {
    await rig.startRouter({ arch: 'arm' });
    await rig.startRegistry({ user: 'puller', password: 's3cret' });
    await pushImage(rig.registry.client, 'private/app', '1', { platforms: [{ architecture: 'arm', variant: 'v7' }, { architecture: 'arm64' }], layers: ['gzip', 'zstd'] });
  }, 120_000);
  afterAll(() => rig.stop());

  it('pulls with the configured credentials', async () => {
    const conv = await rig.startConverter(rig.writeConfig('auth', { registry: { url: rig.registry.url, username: 'puller', password: 's3cret' } }));
    const out = await ensure(conv.images, { image: `${rig.registry.host}/private/app:1`, architecture: 'arm' });
    expect(out.error).toBeUndefined();
    const inspect = JSON.parse(await skopeo('inspect', `docker-archive:${join(rig.simFiles, must(out.result).router_file)}`)) as { Architecture: string; Variant?: string };
    expect(inspect.Architecture).toBe('arm');
  }, 60_000);

  it('without credentials reports the refusal', async () => {
    const conv = await rig.startConverter(rig.writeConfig('noauth'));
    const out = await ensure(conv.images, { image: `${rig.registry.host}/private/app:1`, architecture: 'arm' });
    expect(out.error?.code).toBe(status.FAILED_PRECONDITION);
    expect(out.error?.details).toContain('refused our credentials');
  }, 60_000);

  it('reports UNAVAILABLE when the registry or the router is down', async () => {
    const deadRegistry = `127.0.0.1:${await freePort()}`;
    const noRegistry = await rig.startConverter(rig.writeConfig('down', { registry: { url: `http://${deadRegistry}` } }));
    const a = await ensure(noRegistry.images, { image: `${deadRegistry}/private/app:1`, architecture: 'arm' });
    expect(a.error?.code).toBe(status.UNAVAILABLE);
    expect(a.error?.details).toContain('ECONNREFUSED');
    const deadRouter = await rig.startConverter(
      rig.writeConfig('norouter', { registry: { url: rig.registry.url, username: 'puller', password: 's3cret' }, routeros: { url: `http://127.0.0.1:${await freePort()}/rest`, user: 'x', password: 'y' } }),
    );
    const b = await ensure(deadRouter.images, { image: `${rig.registry.host}/private/app:1`, architecture: 'arm' });
    expect(b.error?.code).toBe(status.UNAVAILABLE);
  }, 60_000);
});
