// Manifest and index shapes (OCI image spec v1.1 and Docker schema 2) and their
// validation: what a registry must check before it stores a manifest verbatim.
import { DigestError, parseDigest } from './digest';
import { MediaType, isIndexMediaType, isManifestMediaType } from './media-types';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  artifactType?: string;
  platform?: { architecture: string; os: string; variant?: string; 'os.version'?: string; 'os.features'?: string[] };
  data?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export type Manifest = ImageManifest | ImageIndex;

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

export interface ParsedManifest {
  mediaType: string;
  manifest: Manifest;
  /** Blobs the manifest needs in the repository (config and layers). */
  blobs: Descriptor[];
  /** Manifests an index needs in the repository. */
  children: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
}

function checkDescriptor(d: unknown, where: string): Descriptor {
  if (typeof d !== 'object' || d === null) throw new ManifestError(`${where}: not an object`);
  const o = d as Record<string, unknown>;
  if (typeof o.mediaType !== 'string' || !o.mediaType) throw new ManifestError(`${where}: mediaType missing`);
  if (typeof o.digest !== 'string') throw new ManifestError(`${where}: digest missing`);
  try {
    parseDigest(o.digest);
  } catch (err) {
    throw new ManifestError(`${where}: ${(err as DigestError).message}`);
  }
  if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) {
    throw new ManifestError(`${where}: size must be a non-negative integer`);
  }
  return o as unknown as Descriptor;
}

/**
 * Parses and validates manifest bytes. `contentType` is the request's Content-Type;
 * when the body names a mediaType it must agree.
 */
export function parseManifest(bytes: Uint8Array, contentType?: string): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new ManifestError(`not valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ManifestError('not a JSON object');
  const o = doc as Record<string, unknown>;
  if (o.schemaVersion !== 2) throw new ManifestError('schemaVersion must be 2');
  const declared = typeof o.mediaType === 'string' ? o.mediaType : undefined;
  const ct = contentType?.split(';')[0]?.trim();
  if (declared && ct && isManifestMediaType(ct) && declared !== ct) {
    throw new ManifestError(`mediaType ${declared} does not match Content-Type ${ct}`);
  }
  let mediaType = declared ?? (ct && isManifestMediaType(ct) ? ct : undefined);
  if (!mediaType) mediaType = Array.isArray(o.manifests) ? MediaType.ociIndex : MediaType.ociManifest;
  if (!isManifestMediaType(mediaType)) throw new ManifestError(`unsupported manifest media type ${mediaType}`);
  const subject = o.subject === undefined ? undefined : checkDescriptor(o.subject, 'subject');
  const artifactType = typeof o.artifactType === 'string' ? o.artifactType : undefined;
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(o.manifests)) throw new ManifestError('an index needs a manifests array');
    const children = o.manifests.map((d, i) => checkDescriptor(d, `manifests[${i}]`));
    return { mediaType, manifest: o as unknown as ImageIndex, blobs: [], children, ...(subject ? { subject } : {}), ...(artifactType ? { artifactType } : {}) };
  }
  const config = checkDescriptor(o.config, 'config');
  if (!Array.isArray(o.layers)) throw new ManifestError('layers must be an array');
  const layers = o.layers.map((d, i) => checkDescriptor(d, `layers[${i}]`));
  // Layers with external URLs (foreign layers) are not expected in the repository.
  const blobs = [config, ...layers.filter((l) => !l.urls?.length)];
  return {
    mediaType,
    manifest: o as unknown as ImageManifest,
    blobs,
    children: [],
    ...(subject ? { subject } : {}),
    artifactType: artifactType ?? (mediaType === MediaType.ociManifest ? config.mediaType : undefined),
  } as ParsedManifest;
}
