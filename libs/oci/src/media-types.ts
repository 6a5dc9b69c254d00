// Media types of the OCI image spec and Docker's schema 2, and the Accept list a
// client sends so that any registry answers with a manifest it can store verbatim.
export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export const manifestMediaTypes: readonly string[] = [
  MediaType.ociManifest,
  MediaType.ociIndex,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
];

export const indexMediaTypes: readonly string[] = [MediaType.ociIndex, MediaType.dockerManifestList];

export const manifestAccept = manifestMediaTypes.join(', ');

export function isManifestMediaType(mt: string): boolean {
  return manifestMediaTypes.includes(mt);
}

export function isIndexMediaType(mt: string): boolean {
  return indexMediaTypes.includes(mt);
}
