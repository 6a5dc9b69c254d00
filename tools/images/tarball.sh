#!/usr/bin/env bash
# `make tarball ARCH=arm64|amd64`: the RouterOS-loadable tarball of mikrotik-kube itself (the
# all-in-one process, the image's default command), made by our own storage-converter from the
# product image: the OCI archive is pushed into our registry (a temporary one on loopback) and
# `convert` turns its linux/<ARCH> image into the docker-save tarball RouterOS loads. Dogfooding:
# the same registry and converter code the platform runs.
#   ARCH     arm64 (hAP ax3, RB5009, …) or amd64 (CHR); required
#   ARCHIVE  the image archive (default dist/images/mikrotik-kube-<version>.oci.tar; when it lacks
#            linux/<ARCH> or is older than the bundles, dist/images/mikrotik-kube-<version>-<ARCH>.oci.tar
#            is built with PLATFORMS=linux/<ARCH>)
#   OUT      default dist/mikrotik-kube-<version>-<ARCH>.tar
# Every failure ends with one line "tarball: <reason>" and a non-zero exit.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
die() { echo "tarball: $*" >&2; exit 1; }

ARCH=${ARCH:-}
case $ARCH in
  arm64) ros_arch=arm64 ;;
  amd64) ros_arch=x86 ;;
  *) die "ARCH must be arm64 or amd64, got '${ARCH}' (make tarball ARCH=arm64)" ;;
esac
command -v skopeo >/dev/null || die "skopeo is not installed (make deps installs it, as root)"
TAG=$(node -p 'require("./package.json").version')
OUT=${OUT:-dist/mikrotik-kube-$TAG-$ARCH.tar}
[[ -f dist/apps/mikrotik-kube/main.js && -f dist/apps/registry/main.js ]] || die "no built services in dist/apps (run make build first)"

has_platform() { skopeo inspect --raw "oci-archive:$1" 2>/dev/null | node -e '
  const doc = JSON.parse(require("fs").readFileSync(0, "utf8"));
  process.exit((doc.manifests ?? []).some((m) => m.platform?.os === "linux" && m.platform?.architecture === process.argv[1]) ? 0 : 1);' "$ARCH"; }
fresh() { [[ -s $1 ]] && [[ -z $(find dist/apps -newer "$1" -type f -print -quit) ]]; }

ARCHIVE=${ARCHIVE:-}
if [[ -z $ARCHIVE ]]; then
  ARCHIVE=dist/images/mikrotik-kube-$TAG.oci.tar
  if ! { fresh "$ARCHIVE" && has_platform "$ARCHIVE"; }; then
    ARCHIVE=dist/images/mikrotik-kube-$TAG-$ARCH.oci.tar
    if ! { fresh "$ARCHIVE" && has_platform "$ARCHIVE"; }; then
      PLATFORMS=linux/$ARCH OUT=$ARCHIVE bash "$HERE/build.sh" || die "building the linux/$ARCH image failed"
    fi
  fi
fi
has_platform "$ARCHIVE" || die "$ARCHIVE has no linux/$ARCH image"

WORK=$(mktemp -d)
reg_pid=
cleanup() { [[ -n $reg_pid ]] && kill "$reg_pid" 2>/dev/null && wait "$reg_pid" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
# Our registry on a loopback port of its own choosing; its log line says which.
node dist/apps/registry/main.js --listen 127.0.0.1:0 --storage-dir "$WORK/registry" --http.host 127.0.0.1 --http.port 0 >"$WORK/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 1 100); do
  grep -q '"message":"ready"' "$WORK/registry.log" && break
  kill -0 "$reg_pid" 2>/dev/null || die "the registry did not start: $(tail -n 1 "$WORK/registry.log")"
  sleep 0.1
done
url=$(sed -n 's/.*"message":"registry listening".*"url":"\(http:[^"]*\)".*/\1/p; s/.*"url":"\(http:[^"]*\)".*"message":"registry listening".*/\1/p' "$WORK/registry.log" | head -n 1)
[[ -n $url ]] || die "the registry did not say where it listens: $(tail -n 1 "$WORK/registry.log")"
ref=${url#http://}/mikrotik-kube:$TAG
PUSH_TLS_VERIFY=false bash "$HERE/push.sh" "$ARCHIVE" "$ref" >/dev/null || die "pushing $ARCHIVE to our registry failed"

mkdir -p "$(dirname "$OUT")"
node --import tsx apps/storage-converter/src/cli.ts "$ref" --arch "$ros_arch" -o "$OUT" --registry "$url" 2>"$WORK/convert.log" \
  || die "conversion failed: $(tail -n 1 "$WORK/convert.log")"
arch=$(skopeo inspect --format '{{.Os}}/{{.Architecture}}' "docker-archive:$OUT") || die "$OUT is not a readable docker archive"
[[ $arch == linux/$ARCH ]] || die "$OUT holds a $arch image, not linux/$ARCH"
echo "tarball: $OUT (mikrotik-kube $TAG, $arch, from $ARCHIVE) $(du -h "$OUT" | cut -f1)"
