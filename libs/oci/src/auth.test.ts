import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { TokenCache, parseChallenge } from './auth';

describe('parseChallenge', () => {
  it('reads Docker Hub style Bearer challenges, commas inside quotes included', () => {
    expect(
      parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push"'),
    ).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull,push' },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
    expect(parseChallenge('Negotiate abc')).toBeUndefined();
  });
});

describe('TokenCache', () => {
  it('fetches a token from the realm with service, scope and Basic credentials', async () => {
    const seen: Array<{ url: string; auth: string | undefined }> = [];
    const server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ access_token: 'tok-1', expires_in: 300 }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const cache = new TokenCache({ username: 'u', password: 'p' });
      const scope = 'repository:a/b:pull';
      expect(cache.header(scope)).toBeUndefined();
      expect(await cache.answer(`Bearer realm="http://127.0.0.1:${port}/token",service="svc",scope="${scope}"`, scope)).toBe(true);
      expect(cache.header(scope)).toBe('Bearer tok-1');
      expect(seen).toHaveLength(1);
      const url = new URL(seen[0]?.url ?? '', 'http://x');
      expect(url.searchParams.get('service')).toBe('svc');
      expect(url.searchParams.get('scope')).toBe(scope);
      expect(seen[0]?.auth).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    } finally {
      server.close();
    }
  });

  it('switches to Basic once, and gives up without credentials', async () => {
    const withCreds = new TokenCache({ username: 'u', password: 'p' });
    expect(await withCreds.answer('Basic realm="r"', 's')).toBe(true);
    expect(withCreds.header('s')).toMatch(/^Basic /);
    expect(await withCreds.answer('Basic realm="r"', 's')).toBe(false);
    expect(await new TokenCache(undefined).answer('Basic realm="r"', 's')).toBe(false);
  });
});
