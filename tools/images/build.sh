#!/usr/bin/env bash
# Builds the one mikrotik-kube image (every service; see the Dockerfile) for linux/amd64 and
# linux/arm64 with docker buildx. Where Docker, buildx or a running daemon is missing it says so
# and exits 0, so `make images` never fails a machine that cannot build images.
#   IMAGE      repository (default ghcr.io/mikrotik-kube/mikrotik-kube)
#   TAG        tag (default: version in package.json)
#   PLATFORMS  default linux/amd64,linux/arm64
#   PUSH=1     push to the registry; otherwise write an OCI archive to dist/images/
set -euo pipefail
cd "$(dirname "$0")/../.."

IMAGE=${IMAGE:-ghcr.io/mikrotik-kube/mikrotik-kube}
TAG=${TAG:-$(node -p 'require("./package.json").version')}
PLATFORMS=${PLATFORMS:-linux/amd64,linux/arm64}

skip() {
  echo "images: $1; not building $IMAGE:$TAG ($PLATFORMS)."
  echo "images: install Docker with the buildx plugin (and QEMU binfmt for foreign platforms) to build it."
  exit 0
}
command -v docker >/dev/null 2>&1 || skip "docker is not installed"
docker buildx version >/dev/null 2>&1 || skip "docker buildx is not available"
docker info >/dev/null 2>&1 || skip "the Docker daemon is not reachable"

# Multi-platform output needs a docker-container builder (the default docker driver cannot export it).
BUILDER=${BUILDER:-mikrotik-kube}
docker buildx inspect "$BUILDER" >/dev/null 2>&1 || docker buildx create --name "$BUILDER" --driver docker-container >/dev/null

if [ "${PUSH:-0}" = 1 ]; then
  output=(--push)
else
  mkdir -p dist/images
  dest="dist/images/mikrotik-kube-$TAG.oci.tar"
  output=(--output "type=oci,dest=$dest")
fi
echo "images: building $IMAGE:$TAG for $PLATFORMS"
docker buildx build --builder "$BUILDER" --platform "$PLATFORMS" \
  --tag "$IMAGE:$TAG" --label "org.opencontainers.image.version=$TAG" \
  --label "org.opencontainers.image.source=https://github.com/mikrotik-kube/mikrotik-kube" \
  "${output[@]}" .
echo "images: done ${dest:+($dest)}"
