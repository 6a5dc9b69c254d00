#!/usr/bin/env bash
# Pushes an OCI archive (all platforms of its index, digests preserved) to <registry>/<repo>:<tag>.
#   bash tools/images/push.sh dist/images/mikrotik-kube-0.1.0.oci.tar 127.0.0.1:5000/mikrotik-kube:0.1.0
# PUSH_TLS_VERIFY=false for a plain-http registry. Prints the pushed reference with the index digest;
# a refused push ends with one line "images: push to ... refused: <registry's reason>" and exit 1.
set -euo pipefail
die() { echo "images: $*" >&2; exit 1; }
[[ $# -eq 2 ]] || die "usage: push.sh <archive> <registry>/<repo>:<tag>"
archive=$1 dest=$2
[[ -s $archive ]] || die "no image archive at $archive (run make images)"
[[ $dest =~ ^[A-Za-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$ ]] \
  || die "'$dest' is not <registry>/<repo>:<tag> (set PUSH=<registry>/<repo>)"
case ${PUSH_TLS_VERIFY:-true} in true|false) ;; *) die "PUSH_TLS_VERIFY must be true or false" ;; esac
digest=$(skopeo manifest-digest <(skopeo inspect --raw "oci-archive:$archive")) || die "$archive is not a readable OCI archive"
log=$(mktemp); trap 'rm -f "$log"' EXIT
skopeo copy --quiet --all --preserve-digests --dest-tls-verify="${PUSH_TLS_VERIFY:-true}" \
  "oci-archive:$archive" "docker://$dest" >"$log" 2>&1 \
  || die "push to $dest refused: $(grep -v '^[[:space:]]*$' "$log" | tail -n 1)"
echo "images: pushed $dest@$digest"
