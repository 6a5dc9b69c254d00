// Image references as users write them (`alpine`, `docker.io/library/alpine:3.20`,
// `host:port/ns/name@sha256:…`) with Docker's defaulting rules, and the name and tag
// grammars of the distribution spec.
import { DigestError, parseDigest } from './digest';

const component = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const repositoryRe = new RegExp(`^${component}(?:/${component})*$`);
const tagRe = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const hostRe = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/;

export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's registry API actually lives. */
export const DOCKER_HUB_API = 'registry-1.docker.io';

export class ReferenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReferenceError';
  }
}

/** A repository name as the distribution spec allows it (≤ 255 chars, lowercase components). */
export function isValidRepositoryName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && repositoryRe.test(name);
}

export function isValidTag(tag: string): boolean {
  return tagRe.test(tag);
}

export interface ImageReference {
  /** Registry host as written (docker.io for Docker Hub), with port if any. */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

function looksLikeHost(part: string): boolean {
  return part === 'localhost' || part.includes('.') || part.includes(':') || part !== part.toLowerCase();
}

/**
 * Parses a reference. Without a host it is Docker Hub; Docker Hub names with one
 * component get `library/`; without tag or digest the tag is `latest`.
 */
export function parseReference(input: string): ImageReference {
  let rest = input.trim();
  if (!rest) throw new ReferenceError('empty image reference');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    try {
      parseDigest(digest);
    } catch (err) {
      throw new ReferenceError(`${input}: ${(err as DigestError).message}`);
    }
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isValidTag(tag)) throw new ReferenceError(`${input}: invalid tag ${JSON.stringify(tag)}`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  if (parts.length > 1 && looksLikeHost(parts[0] as string)) {
    registry = parts.shift() as string;
    if (!hostRe.test(registry)) throw new ReferenceError(`${input}: invalid registry host ${JSON.stringify(registry)}`);
  }
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_API) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (!isValidRepositoryName(repository)) {
    throw new ReferenceError(`${input}: invalid repository name ${JSON.stringify(repository)}`);
  }
  if (!tag && !digest) tag = 'latest';
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The host to send API calls to (Docker Hub's API is not at docker.io). */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
