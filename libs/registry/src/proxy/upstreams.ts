// Which upstream registry, if any, backs a local repository name: by namespace
// prefix (`dockerhub/alpine` → upstream "dockerhub", remote `library/alpine`) or,
// for the mirror upstream, every name no prefix claims.
import { readFileSync } from 'node:fs';
import { DOCKER_HUB_API, RegistryClient, type Credentials } from '@mikrotik-kube/oci';
import type { UpstreamConfig } from '../config';

export interface Upstream {
  config: UpstreamConfig;
  client: RegistryClient;
}

export interface UpstreamTarget {
  upstream: Upstream;
  /** The repository name at the upstream. */
  remote: string;
}

function credentials(u: UpstreamConfig): Credentials | undefined {
  if (!u.username) return undefined;
  const password = u.passwordFile ? readFileSync(u.passwordFile, 'utf8').replace(/\r?\n$/, '') : (u.password ?? '');
  return { username: u.username, password };
}

export class UpstreamResolver {
  private readonly byPrefix = new Map<string, Upstream>();
  private readonly mirror: Upstream | undefined;

  constructor(configs: UpstreamConfig[], userAgent: string) {
    let mirror: Upstream | undefined;
    for (const config of configs) {
      const creds = credentials(config);
      const client = new RegistryClient({ baseUrl: config.url, userAgent, ...(creds ? { credentials: creds } : {}) });
      const upstream = { config, client };
      if (config.mirror) mirror = upstream;
      else this.byPrefix.set(config.name, upstream);
    }
    this.mirror = mirror;
  }

  get enabled(): boolean {
    return this.byPrefix.size > 0 || this.mirror !== undefined;
  }

  resolve(name: string): UpstreamTarget | undefined {
    const slash = name.indexOf('/');
    const prefixed = slash > 0 ? this.byPrefix.get(name.slice(0, slash)) : undefined;
    if (prefixed) return { upstream: prefixed, remote: this.remoteName(prefixed, name.slice(slash + 1)) };
    if (this.mirror) return { upstream: this.mirror, remote: this.remoteName(this.mirror, name) };
    return undefined;
  }

  private remoteName(u: Upstream, rest: string): string {
    const library = u.config.libraryDefault ?? new URL(u.config.url).hostname === DOCKER_HUB_API;
    return library && !rest.includes('/') ? `library/${rest}` : rest;
  }
}
