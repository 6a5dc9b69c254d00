#!/usr/bin/env bash
# A real one-node Kubernetes cluster inside a network namespace of its own, with no route out:
# the control plane of control-plane.sh, containerd + runc (Debian) as the CRI, the bridge /
# host-local / portmap CNI plugins (Debian), and kubelet, kube-proxy and CoreDNS built by build.sh.
#
#   cluster.sh run DIR      start, print KEY=VALUE lines and READY, stay in the foreground; on
#                           SIGINT/SIGTERM, on exit or when the parent dies, undo everything
#   cluster.sh sweep        undo what killed runs left (namespaces, cgroups, dirs)
#   cluster.sh exec DIR cmd...   run cmd inside the running cluster's network and mount namespaces
#
# The namespace mk-cluster-<pid> holds a bridge mkbr0 with the node address (NODE_IP, default
# 10.201.0.1/24) and two more addresses a test may give the router and the RDS (ROUTER_IP
# 10.201.0.2, RDS_IP 10.201.0.3). Everything runs in one private mount namespace (that of
# `ip netns exec`): the kubelet's and containerd's mounts, tmpfs over /run/containerd and /run/netns, binds
# over /var/lib/kubelet, /var/lib/cni, /var/log/pods and /var/log/containers (to dirs in DIR), so
# the host sees none of it and all of it goes when the last process exits. Pod cgroups live under
# /mk-cluster-<pid> in every cgroup hierarchy. Images: every OCI archive named in
# TESTENV_CLUSTER_IMAGES (space separated) is imported into containerd's k8s.io namespace, after
# the sandbox image TESTENV_PAUSE_IMAGE from TESTENV_PAUSE_ARCHIVE (default
# mikrotik-kube.test/pause:3.10 from .cache/images/test/pause.oci.tar: make test-images).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${TESTENV_BIN:-${TESTENV_DIR:-$ROOT/.cache/testenv}/bin}
TIMEOUT=${TESTENV_READY_TIMEOUT:-240}
STATE=/run/mk-testenv            # one file per run: what sweep needs after a kill
NODE_NAME=${TESTENV_NODE_NAME:-mk-node}
NODE_CIDR=10.201.0.1/24 NODE_IP=10.201.0.1 ROUTER_IP=10.201.0.2 RDS_IP=10.201.0.3
POD_CIDR=10.244.0.0/24 CLUSTER_DNS_DOMAIN=cluster.local
SERVICE_CIDR=10.0.0.0/24 # control-plane.sh's --service-cluster-ip-range
# The sandbox image: tools/images/test-images.sh (make test-images) builds it.
PAUSE_IMAGE=${TESTENV_PAUSE_IMAGE:-mikrotik-kube.test/pause:3.10}
PAUSE_ARCHIVE=${TESTENV_PAUSE_ARCHIVE:-$ROOT/.cache/images/test/pause.oci.tar}
PRIVATE_DIRS=(/var/lib/kubelet /var/lib/cni /var/log/pods /var/log/containers)

log() { echo "cluster: $*" >&2; }
die() { log "$*"; exit 1; }

cgroup_hierarchies() { # every cgroup hierarchy: the v1 ones, and the unified v2 tree runc also joins in hybrid mode
  awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts
}

kill_cgroup_tree() { # name ; kills every process in /sys/fs/cgroup/*/name, removes the dirs bottom up
  local name=$1 h d p round
  for round in 1 2 3 4 5; do
    local any=0
    for h in $(cgroup_hierarchies); do
      [[ -d $h/$name ]] || continue
      while read -r p; do [[ -n $p ]] && { any=1; kill -KILL "$p" 2>/dev/null || true; }; done < <(find "$h/$name" -name cgroup.procs -exec cat {} + 2>/dev/null)
    done
    (( any )) || break
    sleep 0.5
  done
  for h in $(cgroup_hierarchies); do
    [[ -d $h/$name ]] || continue
    find "$h/$name" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [[ -d $h/$name ]] && log "could not remove cgroup $h/$name"
  done
  return 0
}

undo() { # id ; what a run with this id left on the host: processes, namespace, cgroups, dirs
  local id=$1 ns=mk-cluster-$1 p
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 50); do [[ -z $(ip netns pids "$ns" 2>/dev/null) ]] && break; sleep 0.2; done
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
  kill_cgroup_tree "$ns"
  ip netns delete "$ns" 2>/dev/null || true
  rm -rf "/etc/netns/$ns"
  if [[ -f $STATE/cluster-$id ]]; then
    # Mount points this run made on the host. Another live run may have its binds over them, and
    # removing the directory would detach those (the kernel lazily unmounts a removed mount point
    # in every namespace): then the last run alive inherits them. Under the lock that host_dir
    # takes, so no run starts binding over a directory being removed.
    local d heir="" f other lock
    exec {lock}>"$STATE/.dirs.lock"; flock "$lock"
    for f in "$STATE"/cluster-*; do
      other=${f##*/cluster-}
      [[ $other != "$id" ]] && kill -0 "$other" 2>/dev/null && { heir=$f; break; }
    done
    while read -r d; do
      [[ -n $d ]] || continue
      if [[ -n $heir ]]; then echo "created $d" >>"$heir"; else rmdir "$d" 2>/dev/null || true; fi
    done < <(sed -n 's/^created //p' "$STATE/cluster-$id")
    rm -f "$STATE/cluster-$id"
    flock -u "$lock"; exec {lock}>&-
  fi
}

sweep() {
  local f id n=0
  shopt -s nullglob
  for f in "$STATE"/cluster-*; do
    id=${f##*/cluster-}
    kill -0 "$id" 2>/dev/null && continue
    log "sweeping what run $id left"; undo "$id"; n=$((n + 1))
  done
  # namespaces without a state file (killed before it was written)
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^mk-cluster-[0-9]+$' || true); do
    id=${ns#mk-cluster-}
    kill -0 "$id" 2>/dev/null && continue
    log "sweeping namespace $ns"; undo "$id"; n=$((n + 1))
  done
  (( n )) && log "swept $n run(s)"
  return 0
}

# ---------------------------------------------------------------- inside the namespace
launch() { # name cmd args... ; background, logs to DIR/logs/name.log, pid to DIR/pids
  local name=$1; shift
  "$@" >"$DIR/logs/$name.log" 2>&1 </dev/null &
  echo "$name $!" >>"$DIR/pids"
}

alive_all() { local name pid; while read -r name pid; do kill -0 "$pid" 2>/dev/null || { log "$name (pid $pid) died; last log lines:"; tail -n 30 "$DIR/logs/$name.log" >&2; return 1; }; done <"$DIR/pids"; }

wait_for() { # what cmd...
  local what=$1; shift; local end=$(( $(date +%s) + TIMEOUT ))
  until "$@" >/dev/null 2>&1; do
    alive_all || { log "while waiting for $what"; return 1; }
    (( $(date +%s) < end )) || { log "timed out after ${TIMEOUT}s waiting for $what"; return 1; }
    sleep 0.5
  done
}

host_dir() { # path mount-args... ; mounts over path (made on the host if missing, recorded for undo)
  local path=$1 lock; shift
  exec {lock}>"$STATE/.dirs.lock"; flock "$lock"
  if [[ ! -d $path ]]; then mkdir -p "$path"; echo "created $path" >>"$STATE/cluster-$ID"; fi
  mount "$@" "$path"
  flock -u "$lock"; exec {lock}>&-
}

private_dir() { # path ; a dir of DIR bound over path in this mount namespace only
  local own=$DIR/host${1}
  mkdir -p "$own"
  host_dir "$1" --bind "$own"
}

inside() { # DIR ID ; runs in the namespace (ip netns exec): its own mount namespace
  DIR=$1 ID=$2
  MOUNT_PID=$BASHPID # lives as long as the cluster: clients enter its mount namespace through it
  : >"$DIR/pids"; mkdir -p "$DIR/logs"
  mount --make-rprivate / 2>/dev/null || true
  # `ip netns exec` mounted a fresh /sys (for this namespace's /sys/class/net): it has no cgroup
  # mounts. Mount the host's hierarchies again, with the options they have on the host.
  mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
  local mp fs opts
  while read -r mp fs opts; do
    mkdir -p "$mp"
    if [[ $fs == cgroup2 ]]; then mount -t cgroup2 cgroup2 "$mp"; else mount -t cgroup -o "$opts" cgroup "$mp"; fi
  done < <(awk '($3 == "cgroup" || $3 == "cgroup2") && $2 ~ "^/sys/fs/cgroup/" { n = split($4, o, ","); s = ""; for (i = 1; i <= n; i++) if (o[i] != "rw" && o[i] != "relatime" && o[i] != "nosuid" && o[i] != "nodev" && o[i] != "noexec") s = s (s ? "," : "") o[i]; print $2, $3, s }' /proc/1/mounts)
  # /run/containerd: shim sockets and runc state, private to this run
  host_dir /run/containerd -t tmpfs -o mode=711 tmpfs
  # Named network namespaces made in here (containerd's pod sandboxes cni-*, the simulator's
  # router): on the host their files would outlive the mounts only this namespace sees, and
  # `ip netns list` there would fail on each ("Peer netns reference is invalid").
  mount -t tmpfs -o mode=755 tmpfs /run/netns
  local d; for d in "${PRIVATE_DIRS[@]}"; do private_dir "$d"; done
  # The kubelet dir is shared: csi-node's Bidirectional mounts reach the kubelet and the pods.
  mount --make-rshared /var/lib/kubelet

  # -- control plane, on the node address (pods reach it through the `kubernetes` Service)
  TESTENV_ADDRESS=$NODE_IP TESTENV_NODE_NAME=$NODE_NAME TESTENV_APISERVER_PORT=6443 \
    bash "$HERE/control-plane.sh" start "$DIR/cp" >"$DIR/cp.env"
  while read -r name pid; do echo "$name $pid" >>"$DIR/pids"; done <"$DIR/cp/pids"
  local P=$DIR/cp/pki

  # -- containerd (+ runc), CRI with the workarounds this machine needs
  mkdir -p "$DIR/containerd" "$DIR/cni/net.d" "$DIR/cni/ipam"
  cat >"$DIR/containerd/config.toml" <<EOF
version = 2
root = "$DIR/containerd/root"
state = "$DIR/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$DIR/containerd.sock"
[ttrpc]
  address = "$DIR/containerd.ttrpc.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$DIR/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # no CAP_SYS_RESOURCE here: runc may not lower oom_score_adj below its own
  restrict_oom_score_adj = true
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$DIR/cni/net.d"
EOF
  cat >"$DIR/cni/net.d/10-mk.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "mk-pods", "plugins": [
  {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$DIR/cni/ipam", "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}
]}
EOF
  launch containerd containerd --config "$DIR/containerd/config.toml"
  wait_for containerd ctr --address "$DIR/containerd.sock" version
  local img
  for img in $PAUSE_ARCHIVE ${TESTENV_CLUSTER_IMAGES:-}; do
    ctr --address "$DIR/containerd.sock" -n k8s.io images import --all-platforms "$img" >&2 || die "import of $img failed"
  done

  # -- kubelet
  mkdir -p "$DIR/kubelet"
  cat >"$DIR/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# 1.37 refuses cgroup v1 unless told; this machine has only v1 controllers (hybrid mode)
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /mk-cluster-$ID
failSwapOn: false
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $P/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$DIR/containerd.sock
clusterDNS: [$NODE_IP]
clusterDomain: $CLUSTER_DNS_DOMAIN
resolvConf: /etc/resolv.conf
podLogsDir: /var/log/pods
# a busy shared disk must not evict the test's pods
evictionHard: {nodefs.available: "2%", imagefs.available: "2%", memory.available: "50Mi"}
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
serializeImagePulls: false
registerNode: true
maxPods: 60
EOF
  local h; for h in $(cgroup_hierarchies); do
    mkdir -p "$h/mk-cluster-$ID"
    # a cpuset cgroup needs cpus and mems before a process may join
    if [[ -f $h/cpuset.cpus ]]; then cat "$h/cpuset.cpus" >"$h/mk-cluster-$ID/cpuset.cpus"; cat "$h/cpuset.mems" >"$h/mk-cluster-$ID/cpuset.mems"; fi
  done
  launch kubelet "$BIN/kubelet" --config "$DIR/kubelet/config.yaml" --kubeconfig "$DIR/cp/node.kubeconfig" \
    --root-dir /var/lib/kubelet --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --v=1
  local K=(env KUBECONFIG="$DIR/cp/admin.kubeconfig" "$BIN/kubectl")
  wait_for "node $NODE_NAME Ready" bash -c "[[ \$(${K[*]} get node $NODE_NAME -o 'jsonpath={.status.conditions[?(@.type==\"Ready\")].status}') == True ]]"

  # -- kube-proxy (iptables mode; masquerade-all: pod -> Service -> pod on the same bridge returns through the node)
  cat >"$DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $DIR/cp/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
iptables: {masqueradeAll: true}
# leave the conntrack sysctls as they are (some are not per namespace)
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
EOF
  launch kube-proxy "$BIN/kube-proxy" --config "$DIR/kube-proxy.yaml" --v=1

  # -- CoreDNS on the node address: cluster names only, nothing forwarded (no way out anyway)
  cat >"$DIR/Corefile" <<EOF
.:53 {
    bind $NODE_IP
    errors
    kubernetes $CLUSTER_DNS_DOMAIN in-addr.arpa ip6.arpa {
        kubeconfig $DIR/cp/admin.kubeconfig
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    ready 127.0.0.1:8181
}
EOF
  launch coredns "$BIN/coredns" -conf "$DIR/Corefile"
  wait_for coredns curl -fsS --max-time 2 http://127.0.0.1:8181/ready

  { grep -E '^[A-Z_]+=' "$DIR/cp.env" | grep -v '^DIR='
  cat <<EOF
DIR=$DIR
NETNS=mk-cluster-$ID
MOUNT_PID=$MOUNT_PID
NODE_NAME=$NODE_NAME
NODE_IP=$NODE_IP
ROUTER_IP=$ROUTER_IP
RDS_IP=$RDS_IP
POD_CIDR=$POD_CIDR
CONTAINERD_SOCKET=$DIR/containerd.sock
EOF
  } | tee "$DIR/env"
  echo READY
  # stay while everything runs; the outer run() stops us
  while alive_all; do sleep 1 & wait $! || true; done
  log "a component died; stopping"
  return 1
}

stop_inside() { # reverse start order, SIGTERM then SIGKILL
  local name pid pids=()
  [[ -f $DIR/pids ]] || return 0
  while read -r name pid; do pids=("$pid" "${pids[@]}"); done <"$DIR/pids"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 100); do local any=0; for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && any=1; done; (( any )) || break; sleep 0.1; done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}

# ---------------------------------------------------------------- outside
run() {
  local D=${1:-} parent=$PPID
  [[ $(id -u) == 0 ]] || die "needs root (network namespace, mounts, cgroups)"
  for c in kube-apiserver kube-controller-manager kube-scheduler etcd kubelet kube-proxy coredns kubectl; do
    [[ -x $BIN/$c ]] || die "$BIN/$c missing: run 'bash tools/testenv/build.sh' first"
  done
  for c in containerd runc ctr ip mount curl iptables; do command -v "$c" >/dev/null || die "$c not found (tools/setup/apt-packages.txt)"; done
  [[ -f $PAUSE_ARCHIVE ]] || die "no sandbox image $PAUSE_ARCHIVE: run 'make test-images'"
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/portmap && -x /usr/lib/cni/host-local ]] || die "CNI plugins missing in /usr/lib/cni (Debian package containernetworking-plugins)"
  [[ -n $D ]] || D=$(mktemp -d "${TMPDIR:-/tmp}/testenv-cluster.XXXXXX")
  mkdir -p "$D"; DIR=$(cd "$D" && pwd); ID=$$
  NS=mk-cluster-$ID
  mkdir -p "$STATE"
  sweep
  echo "dir $DIR" >"$STATE/cluster-$ID"
  STOPPING=0 CHILD=
  cleanup() {
    (( STOPPING )) && return 0; STOPPING=1
    [[ -n $CHILD ]] && kill -TERM "$CHILD" 2>/dev/null && wait "$CHILD" 2>/dev/null || true
    undo "$ID"
    log "stopped; undid namespace $NS, its cgroups and mounts"
  }
  trap 'cleanup; exit 0' INT TERM HUP
  trap cleanup EXIT
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  ip -n "$NS" link add mkbr0 type bridge
  ip -n "$NS" addr add "$NODE_CIDR" dev mkbr0
  ip -n "$NS" addr add "$ROUTER_IP/32" dev mkbr0
  ip -n "$NS" addr add "$RDS_IP/32" dev mkbr0
  ip -n "$NS" link set mkbr0 up
  # The node itself reaches ClusterIPs (a push to the chart's registry, as from any node): the
  # kernel routes a packet before kube-proxy's OUTPUT rule rewrites it, and with no default route
  # a ClusterIP would be unreachable. The route stays inside the namespace.
  ip -n "$NS" route add "$SERVICE_CIDR" dev mkbr0
  ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 2>/dev/null || true
  mkdir -p "/etc/netns/$NS"
  printf 'nameserver %s\nsearch default.svc.%s svc.%s\noptions ndots:5 timeout:1 attempts:2\n' "$NODE_IP" "$CLUSTER_DNS_DOMAIN" "$CLUSTER_DNS_DOMAIN" >"/etc/netns/$NS/resolv.conf"
  printf '127.0.0.1 localhost\n%s %s\n' "$NODE_IP" "$NODE_NAME" >"/etc/netns/$NS/hosts"

  # trap in the inner shell: stop its daemons on TERM
  ip netns exec "$NS" bash -c 'source "$0" __source; DIR=$1 ID=$2; trap "stop_inside; exit 0" TERM INT; inside "$1" "$2" & wait $!; rc=$?; stop_inside; exit $rc' \
    "${BASH_SOURCE[0]}" "$DIR" "$ID" &
  CHILD=$!
  while kill -0 "$CHILD" 2>/dev/null; do
    kill -0 "$parent" 2>/dev/null || { log "parent $parent is gone; stopping"; break; }
    sleep 1 & wait $! || true
  done
  cleanup
}

cmd=${1:-}; shift || true
case $cmd in
  run) run "$@" ;;
  sweep) mkdir -p "$STATE"; sweep ;;
  exec)
    D=${1:?usage: $0 exec DIR cmd...}; shift
    pid=$(sed -n 's/^MOUNT_PID=//p' "$D/env" 2>/dev/null || true)
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || die "no running cluster in $D"
    exec nsenter --target "$pid" --mount --net --wd="$PWD" "$@" ;;
  __source) ;;
  *) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; [[ $cmd == -h || $cmd == --help ]] || exit 2 ;;
esac
