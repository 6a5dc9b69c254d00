export { MediaType, manifestMediaTypes, indexMediaTypes, manifestAccept, isManifestMediaType, isIndexMediaType } from './media-types';
export { parseDigest, isDigest, digestOf, DigestError, DigestingStream, VerifyingStream } from './digest';
export type { Digest, DigestAlgorithm } from './digest';
export {
  parseReference,
  formatReference,
  apiHost,
  isValidRepositoryName,
  isValidTag,
  ReferenceError,
  DOCKER_HUB,
  DOCKER_HUB_API,
} from './reference';
export type { ImageReference } from './reference';
export { parseManifest, ManifestError } from './manifest';
export type { Descriptor, ImageManifest, ImageIndex, Manifest, ParsedManifest } from './manifest';
export { parseChallenge, basicHeader, TokenCache } from './auth';
export type { Challenge, Credentials } from './auth';
export { RegistryClient, RegistryHttpError, isNotFound } from './client';
export type { RegistryClientOptions, ManifestInfo, FetchedManifest, FetchedBlob } from './client';
export { OciLayoutWriter } from './layout';
