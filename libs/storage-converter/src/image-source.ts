// Where an image comes from and which manifest the router gets: every pull goes through
// our registry service (its own repositories, or an upstream's prefix for pull-through),
// an index is narrowed to the router's platform, and registry failures become domain
// errors with the right kind (NOT_FOUND, UNAVAILABLE, …).
import {
  MediaType,
  ManifestError,
  ReferenceError,
  RegistryClient,
  RegistryHttpError,
  parseManifest,
  parseReference,
  type Descriptor,
  type ImageManifest,
  type ImageIndex,
  type ImageReference,
} from '@mikrotik-kube/oci';
import { compressionOf } from './decompress';
import { StorageError, invalid, notFound, precondition, unavailable } from './errors';
import { selectManifest, type RouterArch } from './platform';

export interface SourceOptions {
  client: RegistryClient;
  /** Registry hosts that are our registry itself (e.g. `registry.local:5000`). */
  ownHosts: readonly string[];
  /** Upstream registry host → repository prefix in our registry (`docker.io` → `dockerhub`). */
  upstreams: Readonly<Record<string, string>>;
  armVariants: readonly string[];
}

export interface ResolvedImage {
  /** The reference as the caller wrote it, normalised. */
  image: string;
  ref: ImageReference;
  /** Repository in our registry. */
  repository: string;
  manifestDigest: string;
  manifest: ImageManifest;
  /** Tag for RepoTags in the archive. */
  tag: string;
}

const IMAGE_CONFIG_TYPES: readonly string[] = [MediaType.ociConfig, MediaType.dockerConfig];

export function parseImage(image: string): ImageReference {
  try {
    return parseReference(image);
  } catch (e) {
    if (e instanceof ReferenceError) throw invalid(e.message);
    throw e;
  }
}

/** Maps registry client failures to domain errors. */
export function registryFailure(what: string, err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  if (err instanceof RegistryHttpError) {
    if (err.status === 404) return notFound(`${what}: not found in the registry`);
    if (err.status === 401 || err.status === 403) return precondition(`${what}: registry refused our credentials (HTTP ${err.status})`);
    if (err.status >= 500 || err.status === 429) return unavailable(`${what}: ${err.message}`);
    return invalid(`${what}: ${err.message}`);
  }
  if (err instanceof ManifestError) return invalid(`${what}: ${err.message}`);
  // fetch() failures carry the socket error (ECONNREFUSED, …) in `cause`.
  const code = (err as { cause?: { code?: string } } | undefined)?.cause?.code;
  const msg = err instanceof Error ? err.message : String(err);
  return unavailable(`${what}: registry unreachable: ${msg}${code ? ` (${code})` : ''}`);
}

export class ImageSource {
  constructor(private readonly o: SourceOptions) {}

  get client(): RegistryClient {
    return this.o.client;
  }

  repositoryFor(ref: ImageReference): string {
    if (this.o.ownHosts.includes(ref.registry)) return ref.repository;
    const prefix = this.o.upstreams[ref.registry];
    if (prefix === undefined) {
      throw invalid(`registry ${ref.registry} is not served by our registry (known: ${[...this.o.ownHosts, ...Object.keys(this.o.upstreams)].join(', ')})`);
    }
    return prefix ? `${prefix}/${ref.repository}` : ref.repository;
  }

  /** Resolves `image` to the single-platform manifest the router of `arch` can run. */
  async resolve(image: string, arch: RouterArch): Promise<ResolvedImage> {
    const ref = parseImage(image);
    const repository = this.repositoryFor(ref);
    const what = `image ${image}`;
    let fetched;
    try {
      fetched = await this.o.client.getManifest(repository, ref.digest ?? ref.tag ?? 'latest');
    } catch (e) {
      throw registryFailure(what, e);
    }
    let parsed = this.parse(what, fetched.bytes, fetched.mediaType);
    let digest = fetched.digest;
    if (parsed.children.length || 'manifests' in parsed.manifest) {
      const chosen: Descriptor = selectManifest(image, (parsed.manifest as ImageIndex).manifests, arch, this.o.armVariants);
      try {
        fetched = await this.o.client.getManifest(repository, chosen.digest);
      } catch (e) {
        throw registryFailure(`${what} (${chosen.digest})`, e);
      }
      parsed = this.parse(what, fetched.bytes, fetched.mediaType);
      if ('manifests' in parsed.manifest) throw invalid(`${what}: index entry ${chosen.digest} is another index`);
      digest = fetched.digest;
    }
    const manifest = parsed.manifest as ImageManifest;
    if (!IMAGE_CONFIG_TYPES.includes(manifest.config.mediaType)) {
      throw invalid(`${what} is not a container image (config media type ${manifest.config.mediaType})`);
    }
    if (manifest.layers.some((l) => l.urls?.length)) throw invalid(`${what} has foreign layers, which cannot be pulled`);
    for (const l of manifest.layers) compressionOf(l.mediaType); // fail before pulling anything
    return { image, ref, repository, manifestDigest: digest, manifest, tag: ref.tag ?? 'latest' };
  }

  private parse(what: string, bytes: Buffer, mediaType: string) {
    try {
      return parseManifest(bytes, mediaType);
    } catch (e) {
      throw registryFailure(what, e);
    }
  }
}
