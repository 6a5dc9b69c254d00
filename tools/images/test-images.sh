#!/usr/bin/env bash
# Images the cluster test runs beside ours, never published: pause (tools/images/pause.c, static) and
# the CSI sidecars built from Go source by tools/testenv/build.sh, each FROM scratch, linux/amd64.
#   bash tools/images/test-images.sh            # build what is missing or stale, print the table
#   bash tools/images/test-images.sh --list     # only print "name ref archive"
# Writes .cache/images/test/<name>.oci.tar (reference mikrotik-kube.test/<name>:<version> inside);
# an image whose inputs (binary, version, this script) are unchanged is not rebuilt.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${IMAGES_CACHE:-$ROOT/.cache/images}
OUTDIR=$CACHE/test
TESTENV_DIR=${TESTENV_DIR:-$ROOT/.cache/testenv}
REGISTRY=mikrotik-kube.test
PAUSE_VERSION=3.10
die() { echo "test-images: $*" >&2; exit 1; }

# name | binary in the image | where the binary comes from
IMAGES=(
  "pause|/pause|pause.c"
  "csi-provisioner|/csi-provisioner|testenv"
  "csi-attacher|/csi-attacher|testenv"
  "csi-resizer|/csi-resizer|testenv"
  "csi-snapshotter|/csi-snapshotter|testenv"
  "csi-node-driver-registrar|/csi-node-driver-registrar|testenv"
  "livenessprobe|/livenessprobe|testenv"
)

version_of() { # name
  if [[ $1 == pause ]]; then echo "$PAUSE_VERSION"; return; fi
  [[ -f $TESTENV_DIR/stamps/$1 ]] || return 1
  head -1 "$TESTENV_DIR/stamps/$1" | cut -d' ' -f1
}

if [[ ${1:-} == --list ]]; then
  for i in "${IMAGES[@]}"; do IFS='|' read -r n _ _ <<<"$i"
    printf '%-26s %-50s %s\n' "$n" "$REGISTRY/$n:$(version_of "$n" || echo '?')" "$OUTDIR/$n.oci.tar"; done
  exit 0
fi
[[ $# -eq 0 ]] || die "unknown argument '$1' (only --list)"
command -v buildah >/dev/null || die "buildah is not installed (make deps installs it, as root)"
B=(buildah --storage-driver overlay --root "$CACHE/storage" --runroot "$CACHE/run")
mkdir -p "$OUTDIR"
# Layer file times and the created time are fixed: an unchanged binary gives an unchanged digest.
EPOCH=0

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
start=$(date +%s)
for i in "${IMAGES[@]}"; do
  IFS='|' read -r n path from <<<"$i"
  v=$(version_of "$n") || die "$n: no build stamp in $TESTENV_DIR/stamps (run make testenv)"
  if [[ $from == pause.c ]]; then
    command -v gcc >/dev/null || die "gcc is not installed (make deps installs it, as root)"
    bin=$work/pause
    gcc -Os -Wall -Wextra -Werror -static -DPAUSE_VERSION="\"$v\"" -o "$bin" "$HERE/pause.c" 2>"$work/gcc.log" \
      || die "gcc -static pause.c failed: $(head -n 1 "$work/gcc.log") (is libc6-dev installed?)"
    strip "$bin"
    user=65535:65535 # as upstream's pause image: it needs no privilege
  else
    bin=$TESTENV_DIR/bin/$n
    [[ -x $bin ]] || die "$n: $bin is missing (run make testenv)"
    user= # the sidecars run as root like upstream's images (node-driver-registrar writes the kubelet's dirs)
  fi
  key=$( { cat "${BASH_SOURCE[0]}"; echo "$n $v $path $user"; sha256sum <"$bin"; } | sha256sum | cut -c1-16)
  out=$OUTDIR/$n.oci.tar
  if [[ -s $out && -f $out.key && $(cat "$out.key") == "$key" ]]; then continue; fi
  ref=$REGISTRY/$n:$v
  c=$("${B[@]}" from --quiet scratch)
  "${B[@]}" copy --quiet "$c" "$bin" "$path" >/dev/null
  "${B[@]}" config --entrypoint "[\"$path\"]" --cmd '' --os linux --arch amd64 ${user:+--user "$user"} \
    --label "org.opencontainers.image.title=$n" --label "org.opencontainers.image.version=$v" \
    --label "org.opencontainers.image.description=test image of mikrotik-kube (not published)" "$c"
  rm -f "$out" "$out.key"
  "${B[@]}" commit --quiet --format oci --identity-label=false --timestamp "$EPOCH" --rm "$c" "oci-archive:$out:$ref" >/dev/null \
    || die "$n: buildah commit failed"
  echo "$key" >"$out.key"
  echo "test-images: built $ref -> $out ($(du -h "$out" | cut -f1))"
done
echo "test-images: done in $(( $(date +%s) - start ))s"
bash "${BASH_SOURCE[0]}" --list
