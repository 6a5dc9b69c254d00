#!/usr/bin/env bash
# Builds the one mikrotik-kube image (every service; see tools/images/Containerfile) as an OCI image
# index for linux/amd64 and linux/arm64, with no Docker daemon: buildah (overlay storage, chroot
# isolation) from Debian. Writes dist/images/mikrotik-kube-<version>.oci.tar; PUSH pushes it.
#   PLATFORMS  default linux/amd64,linux/arm64 (the only two known)
#   IMAGE      reference recorded in the archive (default ghcr.io/mikrotik-kube/mikrotik-kube)
#   TAG        default: version in package.json
#   PUSH       <registry>/<repo>: push the archive there as :TAG (digests preserved)
#   PUSH_TLS_VERIFY=false  for a plain-http registry (loopback tests)
#   BUILDER=docker  build the same Containerfile and context with `docker buildx` instead
#   SOURCE_DATE_EPOCH  default: time of the last commit (labels, layer file times, created)
#   OUT  default dist/images/mikrotik-kube-<TAG>.oci.tar (node is the .nvmrc version, as for the tests)
#   BUILDAH_ROOT  buildah's storage (default: a fresh one per build, removed after; see below)
# Every failure ends with one line "images: <reason>" and a non-zero exit.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
CACHE=${IMAGES_CACHE:-$ROOT/.cache/images}
export IMAGES_CACHE=$CACHE
die() { echo "images: $*" >&2; exit 1; }

IMAGE=${IMAGE:-ghcr.io/mikrotik-kube/mikrotik-kube}
TAG=${TAG:-$(node -p 'require("./package.json").version')}
PLATFORMS=${PLATFORMS:-linux/amd64,linux/arm64}
BUILDER=${BUILDER:-buildah}
NODE_VERSION=$(tr -d ' \nv' <.nvmrc)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || true)}
[[ $SOURCE_DATE_EPOCH =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH is not set and there is no git commit to take it from"
REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)
OUT=${OUT:-dist/images/mikrotik-kube-$TAG.oci.tar}

arches=()
IFS=, read -ra plats <<<"$PLATFORMS"
for p in "${plats[@]}"; do
  case $p in
    linux/amd64) arches+=(amd64) ;;
    linux/arm64) arches+=(arm64) ;;
    *) die "unknown platform '$p' (known: linux/amd64, linux/arm64)" ;;
  esac
done
(( ${#arches[@]} )) || die "PLATFORMS is empty"
case $BUILDER in
  buildah) command -v buildah >/dev/null || die "buildah is not installed (make deps installs it, as root)" ;;
  docker) docker buildx version >/dev/null 2>&1 || die "BUILDER=docker but docker buildx is not available" ;;
  *) die "unknown BUILDER '$BUILDER' (buildah or docker)" ;;
esac
command -v skopeo >/dev/null || die "skopeo is not installed (make deps installs it, as root)"
for f in dist/apps/*/main.js; do [[ -f $f ]] || die "no built services in dist/apps (run make build first)"; done

start=$(date +%s)
# The build context: everything the Containerfile copies, staged per architecture.
mkdir -p "$CACHE"
CTX=$(mktemp -d "$CACHE/ctx-XXXXXX")
# Fresh buildah storage per build: a step reused from another build's cache keeps that build's
# --timestamp in its layer's file times, so the image would depend on what was built before.
# The costly inputs (base rootfs, node, node_modules) are cached as files instead.
BUILDAH_ROOT=${BUILDAH_ROOT:-$CTX/storage}
B=(buildah --storage-driver overlay --root "$BUILDAH_ROOT" --runroot "$BUILDAH_ROOT.run")
trap '"${B[@]}" rm --all >/dev/null 2>&1 || true; rm -rf "$CTX"' EXIT
mkdir -p "$CTX/app/dist" "$CTX/state"
cp package.json "$CTX/app/"
cp -r dist/apps "$CTX/app/dist/"
find "$CTX/app" -name '*.map' -delete # source maps point at sources the image does not hold

# Keyed by the lockfile and this script (which says how they are installed and pruned).
lock_key=$(cat package.json package-lock.json "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)
for a in "${arches[@]}"; do
  # Node at the .nvmrc version from npm's per-platform package: the same fetch as the tests' node.
  nodedir=$(bash tools/setup/node.sh --dist "$a") || die "no node $NODE_VERSION for $a"
  cp -al "$nodedir" "$CTX/node-$a"

  # Production dependencies, no install scripts (ssh2's and cpu-features' native addons are optional
  # and would need a compiler for the target); --os/--cpu pick per-platform optional packages.
  deps=$CACHE/deps/$a-$lock_key
  if [[ ! -d $deps/node_modules ]]; then
    rm -rf "$deps.tmp"; mkdir -p "$deps.tmp"; cp package.json package-lock.json "$deps.tmp/"
    (cd "$deps.tmp" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --os=linux --cpu="$(case $a in amd64) echo x64 ;; *) echo "$a" ;; esac)" \
      >npm.log 2>&1) || die "npm ci --omit=dev for $a failed: $(tail -n 1 "$deps.tmp/npm.log")"
    rm -f "$deps.tmp/node_modules/.package-lock.json"
    # Source maps and type declarations serve no running process: 36 of the 85 MB.
    find "$deps.tmp/node_modules" -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete
    rm -rf "$deps"; mv "$deps.tmp" "$deps"
  fi
  cp -al "$deps/node_modules" "$CTX/node_modules-$a"

  base=$(bash "$HERE/base.sh" "$a") || exit 1
  ln -f "$base" "$CTX/base-$a.tar" 2>/dev/null || cp "$base" "$CTX/base-$a.tar"
done
echo "images: context staged in $(( $(date +%s) - start ))s (node $NODE_VERSION, ${arches[*]})"

created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
labels=(
  --label "org.opencontainers.image.title=mikrotik-kube"
  --label "org.opencontainers.image.version=$TAG"
  --label "org.opencontainers.image.revision=$REVISION"
  --label "org.opencontainers.image.created=$created"
  --label "org.opencontainers.image.source=https://github.com/mikrotik-kube/mikrotik-kube"
  --label "org.opencontainers.image.licenses=Apache-2.0"
)
mkdir -p dist/images
rm -f "$OUT"
if [[ $BUILDER == docker ]]; then
  docker buildx build --platform "$PLATFORMS" "${labels[@]}" -f "$HERE/Containerfile" \
    --build-arg SOURCE_DATE_EPOCH --output "type=oci,dest=$OUT,name=$IMAGE:$TAG,rewrite-timestamp=true" "$CTX" \
    || die "docker buildx build failed"
else
  list=localhost/mikrotik-kube-build-$$:$TAG
  "${B[@]}" manifest rm "$list" >/dev/null 2>&1 || true
  log=$CTX.buildah.log
  # --timestamp fixes the created time and every layer file's mtime: the same inputs give the
  # same layers. No identity label (it would record the buildah version) and no history (with
  # --layers it names intermediate image ids of this storage, and a reused step keeps the time it
  # was first built). One platform after the other, so the index lists them in PLATFORMS order.
  for p in "${plats[@]}"; do
    "${B[@]}" bud --quiet --pull=never --isolation chroot --layers --identity-label=false --omit-history \
      --platform "$p" --manifest "$list" --timestamp "$SOURCE_DATE_EPOCH" "${labels[@]}" \
      -f "$HERE/Containerfile" "$CTX" >>"$log" 2>&1 || { tail -n 5 "$log" >&2; die "buildah bud for $p failed (log: $log)"; }
  done
  "${B[@]}" manifest push --quiet --all --format oci "$list" "oci-archive:$OUT:$IMAGE:$TAG" >>"$log" 2>&1 \
    || { tail -n 5 "$log" >&2; die "writing $OUT failed (log: $log)"; }
  "${B[@]}" manifest rm "$list" >/dev/null 2>&1 || true
fi
digest=$(skopeo manifest-digest <(skopeo inspect --raw "oci-archive:$OUT")) || die "$OUT is not a readable OCI archive"
echo "images: $OUT ($IMAGE:$TAG, $PLATFORMS) index $digest, $(du -h "$OUT" | cut -f1), built in $(( $(date +%s) - start ))s"

rm -f "$CTX.buildah.log"
if [[ -n ${PUSH:-} ]]; then bash "$HERE/push.sh" "$OUT" "$PUSH:$TAG"; fi
