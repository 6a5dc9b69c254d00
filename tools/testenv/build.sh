#!/usr/bin/env bash
# Builds the real test peers (Kubernetes control plane, a node's kubelet, kube-proxy and
# CoreDNS, kubectl, helm, crane, csi-sanity,
# the OCI distribution-spec conformance runner, etcd, CSI sidecars) from Go source, through
# the Go module proxy, into an ignored cache folder. Idempotent: a tool whose version stamp
# matches is not rebuilt. Prints a table "name version path" at the end.
#
#   bash tools/testenv/build.sh              # build what is missing, print the table
#   bash tools/testenv/build.sh --list       # only print the table (no build)
#   bash tools/testenv/build.sh helm crane   # build only these
#
# Env: TESTENV_DIR (default <repo>/.cache/testenv), TESTENV_KUBECTL=auto|build|system
# (auto: build kubectl unless one on PATH is within one minor of the apiserver),
# TESTENV_SKIP="name ..." (tools not to build).
# Exit status: 0 when everything requested is present; 1 when a build failed;
# 0 with a notice when Go (>= 1.26) is missing, so test suites can skip with a reason.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TESTENV_DIR=${TESTENV_DIR:-$ROOT/.cache/testenv}
BIN=$TESTENV_DIR/bin
STAMPS=$TESTENV_DIR/stamps
LOGS=$TESTENV_DIR/logs
TMPB=$TESTENV_DIR/tmp

K8S_VERSION=v1.37.2          # k8s.io/kubernetes (staging modules v0.37.2, see kube/go.mod)
HELM_VERSION=v3.22.0
HELM_K8S_MINOR=37            # minor of the client-go that helm v3.22.0 requires
CRANE_VERSION=v0.22.1
CSI_SANITY_VERSION=v5.6.0
# distribution-spec/conformance has no tags of its own: a pseudo-version of main.
CONFORMANCE_VERSION=v0.0.0-20260831232431-97274622c111
ETCD_VERSION=v3.6.16
PROVISIONER_VERSION=v6.3.0   # v6.4.0 needs sig-storage-lib-external-provisioner v13.1.0, not served by the proxy
ATTACHER_VERSION=v4.13.0
RESIZER_VERSION=v2.3.0
SNAPSHOTTER_VERSION=v8.7.0
# The module proxy refuses these two (403); they build from their release source archives
# (<name>-<version>.tar.gz with vendor/) in TESTENV_SRC_DIR.
REGISTRAR_VERSION=v2.17.0
LIVENESSPROBE_VERSION=v2.19.0
TESTENV_SRC_DIR=${TESTENV_SRC_DIR:-$ROOT/../shared/test-peers-src}
COREDNS_VERSION=v1.15.0

# name | version | how | what
#   how=install: what = package@version (go install, no replaces in its go.mod)
#   how=<dir>:   what = package built inside wrapper module tools/testenv/<dir>
#   how=src:<archive>: what = package built with -mod=vendor inside that source archive
TOOLS=(
  "csi-sanity|$CSI_SANITY_VERSION|install|github.com/kubernetes-csi/csi-test/v5/cmd/csi-sanity@$CSI_SANITY_VERSION"
  "conformance|$CONFORMANCE_VERSION|install|github.com/opencontainers/distribution-spec/conformance@$CONFORMANCE_VERSION"
  "crane|$CRANE_VERSION|install|github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION"
  "helm|$HELM_VERSION|install|helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  "etcd|$ETCD_VERSION|etcd|go.etcd.io/etcd/server/v3"
  "etcdctl|$ETCD_VERSION|etcd|go.etcd.io/etcd/etcdctl/v3"
  "kube-apiserver|$K8S_VERSION|kube|k8s.io/kubernetes/cmd/kube-apiserver"
  "kube-controller-manager|$K8S_VERSION|kube|k8s.io/kubernetes/cmd/kube-controller-manager"
  "kube-scheduler|$K8S_VERSION|kube|k8s.io/kubernetes/cmd/kube-scheduler"
  "kubectl|$K8S_VERSION|kube|k8s.io/kubernetes/cmd/kubectl"
  "kubelet|$K8S_VERSION|kube|k8s.io/kubernetes/cmd/kubelet"
  "kube-proxy|$K8S_VERSION|kube|k8s.io/kubernetes/cmd/kube-proxy"
  "coredns|$COREDNS_VERSION|install|github.com/coredns/coredns@$COREDNS_VERSION"
  "csi-provisioner|$PROVISIONER_VERSION|provisioner|github.com/kubernetes-csi/external-provisioner/v6/cmd/csi-provisioner"
  "csi-attacher|$ATTACHER_VERSION|csi|github.com/kubernetes-csi/external-attacher/v4/cmd/csi-attacher"
  "csi-resizer|$RESIZER_VERSION|csi|github.com/kubernetes-csi/external-resizer/v2/cmd/csi-resizer"
  "csi-snapshotter|$SNAPSHOTTER_VERSION|csi|github.com/kubernetes-csi/external-snapshotter/v8/cmd/csi-snapshotter"
  "snapshot-controller|$SNAPSHOTTER_VERSION|csi|github.com/kubernetes-csi/external-snapshotter/v8/cmd/snapshot-controller"
  "csi-node-driver-registrar|$REGISTRAR_VERSION|src:node-driver-registrar-$REGISTRAR_VERSION.tar.gz|./cmd/csi-node-driver-registrar"
  "livenessprobe|$LIVENESSPROBE_VERSION|src:livenessprobe-$LIVENESSPROBE_VERSION.tar.gz|./cmd/livenessprobe"
)

ldflags_for() { # name version
  local n=$1 v=$2 cv=k8s.io/component-base/version gv=k8s.io/client-go/pkg/version
  case $n in
    kube-*|kubectl|kubelet)
      local mm=${v#v}; mm=${mm%.*}
      echo "-s -w -X $cv.gitVersion=$v -X $cv.gitMajor=${mm%%.*} -X $cv.gitMinor=${mm#*.} -X $cv.gitTreeState=clean -X $cv.buildDate=1970-01-01T00:00:00Z -X $gv.gitVersion=$v -X $gv.gitMajor=${mm%%.*} -X $gv.gitMinor=${mm#*.}" ;;
    helm)
      local h=helm.sh/helm/v3
      echo "-s -w -X $h/internal/version.version=$v -X $h/internal/version.gitTreeState=clean -X $h/pkg/chartutil.k8sVersionMajor=1 -X $h/pkg/chartutil.k8sVersionMinor=$HELM_K8S_MINOR -X $h/pkg/lint/rules.k8sVersionMajor=1 -X $h/pkg/lint/rules.k8sVersionMinor=$HELM_K8S_MINOR" ;;
    csi-*|snapshot-controller|livenessprobe) echo "-s -w -X main.version=$v" ;;
    conformance) echo "-s -w -X main.Version=$v" ;;
    *) echo "-s -w" ;;
  esac
}

print_table() {
  printf '%-24s %-38s %s\n' name version path
  local t n v path stamp
  for t in "${TOOLS[@]}"; do
    IFS='|' read -r n v _ _ <<<"$t"
    path=$BIN/$n
    if [[ $n == kubectl && ! -x $path ]] && [[ -n ${SYSTEM_KUBECTL:-} ]]; then
      printf '%-24s %-38s %s\n' "$n" "$SYSTEM_KUBECTL_VERSION (system)" "$SYSTEM_KUBECTL"; continue
    fi
    if [[ -x $path && -f $STAMPS/$n ]]; then
      stamp=$(head -1 "$STAMPS/$n" | cut -d' ' -f1)
      printf '%-24s %-38s %s\n' "$n" "$stamp" "$path"
    else
      printf '%-24s %-38s %s\n' "$n" "-" "(missing)"
    fi
  done
}

have_go() {
  command -v go >/dev/null 2>&1 || { echo "testenv: 'go' not found on PATH: test peers cannot be built (tests that need them will be skipped)" >&2; return 1; }
  local gv; gv=$(go env GOVERSION 2>/dev/null); gv=${gv#go}
  local maj=${gv%%.*} rest=${gv#*.}; local min=${rest%%.*}
  if (( maj < 1 || (maj == 1 && min < 26) )); then
    echo "testenv: Go $gv is too old (need >= 1.26): test peers cannot be built (tests that need them will be skipped)" >&2; return 1
  fi
}

# kubectl: use the system one when it is within one minor of our apiserver.
detect_system_kubectl() {
  SYSTEM_KUBECTL= SYSTEM_KUBECTL_VERSION=
  local mode=${TESTENV_KUBECTL:-auto} k
  [[ $mode == build ]] && return 0
  k=$(PATH=$(echo "$PATH" | tr ':' '\n' | grep -vxF "$BIN" | paste -sd:) command -v kubectl 2>/dev/null) || return 0
  local ver; ver=$("$k" version --client -o json 2>/dev/null | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | head -1)
  [[ -n $ver ]] || return 0
  local kmin=${ver#v1.}; kmin=${kmin%%.*}; local want=${K8S_VERSION#v1.}; want=${want%%.*}
  if [[ $mode == system ]] || (( kmin >= want - 1 && kmin <= want + 1 )); then
    SYSTEM_KUBECTL=$k SYSTEM_KUBECTL_VERSION=$ver
  fi
}

recipe_hash() { # how what ldflags
  { echo "$1 $2 $3"; go env GOVERSION GOOS GOARCH
    case $1 in
      install) ;;
      src:*) sha256sum <"$TESTENV_SRC_DIR/${1#src:}" ;;
      *) cat "$HERE/$1/go.mod" "$HERE/$1/go.sum" ;;
    esac
  } | sha256sum | cut -c1-16
}

build_one() { # name version how what
  local n=$1 v=$2 how=$3 what=$4 ld want log start rc
  if [[ $how == src:* && ! -f $TESTENV_SRC_DIR/${how#src:} ]]; then
    echo "testenv: FAILED to build $n $v: source archive $TESTENV_SRC_DIR/${how#src:} is missing (set TESTENV_SRC_DIR)" >&2
    FAILED+=("$n"); return 1
  fi
  ld=$(ldflags_for "$n" "$v")
  want="$v $(recipe_hash "$how" "$what" "$ld")"
  if [[ -x $BIN/$n && -f $STAMPS/$n && $(head -1 "$STAMPS/$n") == "$want" ]]; then
    echo "testenv: $n $v up to date"; return 0
  fi
  log=$LOGS/$n.log
  echo "testenv: building $n $v ... (log: $log)"
  rm -rf "$TMPB"; mkdir -p "$TMPB"
  start=$(date +%s)
  if [[ $how == install ]]; then
    ( cd "$TMPB" && GOBIN="$TMPB" go install -trimpath -ldflags "$ld" "$what" ) >"$log" 2>&1
    rc=$?
    if (( rc == 0 )); then local b; b=$(basename "${what%@*}"); [[ -x $TMPB/$b ]] || b=$(ls "$TMPB" | head -1); mv -f "$TMPB/$b" "$TMPB/.out"; fi
  elif [[ $how == src:* ]]; then
    local a=$TESTENV_SRC_DIR/${how#src:}
    ( tar -xzf "$a" -C "$TMPB" && cd "$TMPB"/*/ && GOFLAGS="-mod=vendor -buildvcs=false" go build -trimpath -ldflags "$ld" -o "$TMPB/.out" "$what" ) >"$log" 2>&1
    rc=$?
  else
    ( cd "$HERE/$how" && go build -trimpath -ldflags "$ld" -o "$TMPB/.out" "$what" ) >"$log" 2>&1
    rc=$?
  fi
  local secs=$(( $(date +%s) - start ))
  if (( rc != 0 )); then
    echo "testenv: FAILED to build $n $v after ${secs}s; last lines of $log:" >&2
    tail -n 15 "$log" >&2
    FAILED+=("$n"); return 1
  fi
  mv -f "$TMPB/.out" "$BIN/$n"
  printf '%s\nbuilt %s in %ss\n' "$want" "$(date -u +%FT%TZ)" "$secs" >"$STAMPS/$n"
  echo "testenv: built $n $v in ${secs}s"
  BUILT_TIMES+=("$n ${secs}s")
}

# The CRDs the snapshot-controller serves (VolumeSnapshot*, VolumeGroupSnapshot*) live in the
# external-snapshotter client module (config/crd) the csi/ wrapper already downloaded: copied to
# $TESTENV_DIR/crds/snapshot (without its kustomization.yaml, so `kubectl apply -f <dir>` takes it).
copy_snapshot_crds() {
  [[ -x $BIN/snapshot-controller ]] || return 0
  local mod dst=$TESTENV_DIR/crds/snapshot
  mod=$(cd "$HERE/csi" && go list -m -f '{{.Dir}}' github.com/kubernetes-csi/external-snapshotter/client/v8 2>/dev/null)
  if [[ -z $mod || ! -d $mod/config/crd ]]; then echo "testenv: VolumeSnapshot CRDs not found in the client module" >&2; return 0; fi
  mkdir -p "$dst" && cp -f "$mod"/config/crd/*.storage.k8s.io_*.yaml "$dst"/ && chmod u+w "$dst"/*.yaml
}

main() {
  local list_only=0 only=()
  for a in "$@"; do
    case $a in
      --list) list_only=1 ;;
      -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; return 0 ;;
      *) only+=("$a") ;;
    esac
  done
  mkdir -p "$BIN" "$STAMPS" "$LOGS"
  if (( list_only )); then detect_system_kubectl; print_table; return 0; fi
  if ! have_go; then print_table; return 0; fi
  # one build at a time per cache dir (two `make test` runs, or a run and a by-hand build)
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$TESTENV_DIR/.lock"
    flock -n 9 || { echo "testenv: another build.sh holds $TESTENV_DIR/.lock; waiting"; flock 9; }
  fi

  # Our own settings, independent of the caller's: module mode from the proxy, no workspace,
  # static binaries, no VCS stamping of our repo into wrapper builds.
  export GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 GOTOOLCHAIN=local
  unset GOBIN GOOS GOARCH

  detect_system_kubectl
  FAILED=() BUILT_TIMES=()
  local total_start; total_start=$(date +%s)
  local t n v how what
  for t in "${TOOLS[@]}"; do
    IFS='|' read -r n v how what <<<"$t"
    if (( ${#only[@]} )) && [[ " ${only[*]} " != *" $n "* ]]; then continue; fi
    if [[ " ${TESTENV_SKIP:-} " == *" $n "* ]]; then echo "testenv: $n skipped (TESTENV_SKIP)"; continue; fi
    if [[ $n == kubectl && -n $SYSTEM_KUBECTL && ${#only[@]} -eq 0 ]]; then
      echo "testenv: kubectl: using $SYSTEM_KUBECTL ($SYSTEM_KUBECTL_VERSION); TESTENV_KUBECTL=build to build it"; continue
    fi
    build_one "$n" "$v" "$how" "$what"
  done
  rm -rf "$TMPB"
  copy_snapshot_crds
  echo "testenv: done in $(( $(date +%s) - total_start ))s${BUILT_TIMES:+ (built: ${BUILT_TIMES[*]})}"
  echo
  print_table
  if (( ${#FAILED[@]} )); then echo "testenv: FAILED: ${FAILED[*]}" >&2; return 1; fi
}

main "$@"
