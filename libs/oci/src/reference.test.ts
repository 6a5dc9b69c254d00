import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apiHost, formatReference, isValidRepositoryName, parseReference } from './reference';

const hex = 'a'.repeat(64);

describe('parseReference', () => {
  it.each([
    ['alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['alpine:3.20', { registry: 'docker.io', repository: 'library/alpine', tag: '3.20' }],
    ['docker.io/library/alpine:3.20', { registry: 'docker.io', repository: 'library/alpine', tag: '3.20' }],
    ['index.docker.io/bitnami/redis', { registry: 'docker.io', repository: 'bitnami/redis', tag: 'latest' }],
    ['ghcr.io/owner/repo/sub:v1', { registry: 'ghcr.io', repository: 'owner/repo/sub', tag: 'v1' }],
    [`localhost:5000/ns/name@sha256:${hex}`, { registry: 'localhost:5000', repository: 'ns/name', digest: `sha256:${hex}` }],
    [`10.0.0.1:5000/name:tag@sha256:${hex}`, { registry: '10.0.0.1:5000', repository: 'name', tag: 'tag', digest: `sha256:${hex}` }],
    ['localhost/x', { registry: 'localhost', repository: 'x', tag: 'latest' }],
  ])('%s', (input, expected) => {
    expect(parseReference(input)).toEqual(expected);
  });

  it.each(['', 'host/UPPER', 'a//b', 'name:-bad', `name@sha256:${'z'.repeat(64)}`, 'name@md5:abc', '../etc/passwd', 'a..b/x'])(
    'rejects %j',
    (input) => {
      expect(() => parseReference(input)).toThrow();
    },
  );

  it('sends Docker Hub API calls to registry-1.docker.io', () => {
    expect(apiHost('docker.io')).toBe('registry-1.docker.io');
    expect(apiHost('ghcr.io')).toBe('ghcr.io');
  });

  it('round-trips through formatReference', () => {
    const component = fc.stringMatching(/^[a-z0-9]{1,8}(?:[._-][a-z0-9]{1,8})?$/);
    fc.assert(
      fc.property(fc.array(component, { minLength: 2, maxLength: 4 }), fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,20}$/), (parts, tag) => {
        const ref = { registry: 'registry.example:5000', repository: parts.join('/'), tag };
        expect(isValidRepositoryName(ref.repository)).toBe(true);
        expect(parseReference(formatReference(ref))).toEqual(ref);
      }),
    );
  });
});
