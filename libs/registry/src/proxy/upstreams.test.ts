import { describe, expect, it } from 'vitest';
import { UpstreamResolver } from './upstreams';

const base = { mirror: false, tagTtlSeconds: 300 };

describe('UpstreamResolver', () => {
  const r = new UpstreamResolver(
    [
      { ...base, name: 'dockerhub', url: 'https://registry-1.docker.io' },
      { ...base, name: 'ghcr', url: 'https://ghcr.io' },
    ],
    'test',
  );

  it('selects by namespace prefix and adds library/ for Docker Hub one-component names', () => {
    expect(r.resolve('dockerhub/alpine')).toMatchObject({ remote: 'library/alpine', upstream: { config: { name: 'dockerhub' } } });
    expect(r.resolve('dockerhub/bitnami/redis')?.remote).toBe('bitnami/redis');
    expect(r.resolve('ghcr/owner/repo')?.remote).toBe('owner/repo');
    expect(r.resolve('ghcr/single')?.remote).toBe('single');
    expect(r.resolve('local/app')).toBeUndefined();
    expect(r.resolve('dockerhub')).toBeUndefined();
  });

  it('sends unclaimed names to the mirror', () => {
    const m = new UpstreamResolver(
      [
        { ...base, name: 'hub', url: 'https://registry-1.docker.io', mirror: true },
        { ...base, name: 'ghcr', url: 'https://ghcr.io' },
      ],
      'test',
    );
    expect(m.resolve('nginx')?.remote).toBe('library/nginx');
    expect(m.resolve('ghcr/a/b')).toMatchObject({ remote: 'a/b', upstream: { config: { name: 'ghcr' } } });
    expect(m.resolve('team/app')).toMatchObject({ remote: 'team/app', upstream: { config: { name: 'hub' } } });
  });
});
