#!/usr/bin/env bash
# Prints the path of the Debian bookworm base rootfs (a tar) for one architecture, building it
# with mmdebstrap from Debian's packages when the cache has none for these inputs.
#   bash tools/images/base.sh amd64|arm64
# Cache: .cache/images/base/<arch>-<key>.tar, key = hash of this script and the mirrors, so a
# change to the package list or the hooks makes a new base; the Debian archive itself moves on
# (security updates), which is why the base is cached rather than rebuilt per image build.
# Env: DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR (defaults deb.debian.org), IMAGES_CACHE.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${IMAGES_CACHE:-$ROOT/.cache/images}
die() { echo "images: $*" >&2; exit 1; }

arch=${1:-}
case $arch in
  amd64|arm64) ;;
  *) die "base.sh: unknown architecture '${arch}' (known: amd64, arm64)" ;;
esac
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE=bookworm
# Runtime of every service: libstdc++ for node, CA roots, tz and netbase for the resolver.
# csi-node runs nvme-cli, blkid, mkfs/fsck/resize for ext4 and xfs, mount/umount (one image for
# all services: these add about 3 MB compressed, see tools/images/README.md).
PACKAGES=ca-certificates,libstdc++6,tzdata,netbase,usr-is-merged,nvme-cli,e2fsprogs,xfsprogs,util-linux,mount
# The base's own timestamp: fixed, so the cached tar is the same whatever commit builds it.
BASE_EPOCH=1767225600 # 2026-01-01T00:00:00Z

key=$( { cat "${BASH_SOURCE[0]}"; echo "$MIRROR $SECURITY $arch"; } | sha256sum | cut -c1-16)
out=$CACHE/base/$arch-$key.tar
if [[ -s $out ]]; then echo "$out"; exit 0; fi

command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed (make deps installs it, as root)"
if [[ $arch != "$(dpkg --print-architecture)" ]]; then
  # A foreign base runs its maintainer scripts under qemu-user through binfmt_misc.
  [[ -e /proc/sys/fs/binfmt_misc/status ]] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null \
    || die "binfmt_misc is not mounted and cannot be mounted: an $arch base needs qemu-user-static through it"
  q=$(case $arch in arm64) echo qemu-aarch64 ;; esac)
  if ! grep -q enabled "/proc/sys/fs/binfmt_misc/$q" 2>/dev/null; then
    update-binfmts --enable "$q" >/dev/null 2>&1 || die "qemu binfmt handler $q is not enabled (install qemu-user-static binfmt-support)"
  fi
fi

mkdir -p "$CACHE/base"
tmp=$(mktemp "$CACHE/base/.$arch-XXXXXX.tar")
trap 'rm -f "$tmp"' EXIT
log=$CACHE/base/$arch.log
start=$(date +%s)
# Docs, man pages and locales are excluded at unpack time; apt lists and caches are dropped at the
# end; the unprivileged user the services run as is added without running anything in the rootfs.
if ! SOURCE_DATE_EPOCH=$BASE_EPOCH mmdebstrap --quiet --variant=minbase --mode=root --format=tar \
  --architectures="$arch" --include="$PACKAGES" \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
  --customize-hook='echo "mkube:x:1000:1000:mikrotik-kube:/app:/usr/sbin/nologin" >>"$1/etc/passwd"' \
  --customize-hook='echo "mkube:x:1000:" >>"$1/etc/group"' \
  --customize-hook='echo "mkube:!*:20454::::::" >>"$1/etc/shadow"' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/cache/ldconfig/aux-cache "$1"/var/log/*' \
  "$SUITE" "$tmp" \
  "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY $SUITE-security main" >"$log" 2>&1; then
  tail -n 5 "$log" >&2
  die "mmdebstrap failed for $arch (log: $log)"
fi
mv -f "$tmp" "$out"
trap - EXIT
echo "images: base $arch built in $(( $(date +%s) - start ))s ($(du -h "$out" | cut -f1))" >&2
echo "$out"
