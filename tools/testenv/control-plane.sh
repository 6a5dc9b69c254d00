#!/usr/bin/env bash
# A local Kubernetes control plane on loopback, from the binaries built by build.sh:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler (no kubelet, no nodes).
#
#   control-plane.sh start [DIR]   start, wait for /readyz, print KEY=VALUE lines, return
#                                   (the daemons keep running; stop them with `stop DIR`)
#   control-plane.sh run [DIR]     same, then stay in the foreground; on SIGINT/SIGTERM,
#                                   on exit, or when the parent process dies, stop everything
#   control-plane.sh stop DIR      stop every process listed in DIR/pids (SIGTERM, then SIGKILL)
#   control-plane.sh status DIR    print which of them are alive
#
# DIR defaults to a new temp dir. It receives pki/, etcd data, logs/, admin.kubeconfig,
# pids ("name pid" lines) and env (KEY=VALUE: KUBECONFIG, APISERVER_URL, ports, DIR).
# Ports are random free high loopback ports unless set: TESTENV_ETCD_PORT,
# TESTENV_ETCD_PEER_PORT, TESTENV_APISERVER_PORT, TESTENV_KCM_PORT, TESTENV_SCHEDULER_PORT.
# Binaries come from TESTENV_BIN, else $TESTENV_DIR/bin, else <repo>/.cache/testenv/bin.
# TESTENV_READY_TIMEOUT (seconds, default 180). Every server listens on 127.0.0.1 only.
# A node whose lease stops being renewed turns NotReady (Unknown) after TESTENV_NODE_MONITOR_GRACE
# (default 12s; Kubernetes' default is 40s) so tests of that need not wait long.
# TESTENV_ADDRESS (default 127.0.0.1): the kube-apiserver's bind and advertise address. Another
# one (a bridge address inside a network namespace, see cluster.sh) is named in its certificate
# and published as the `kubernetes` Service's endpoint, so pods reach the API server.
# TESTENV_NODE_NAME: also issue the kubelet's (system:node:<name>) and kube-proxy's client
# certificates and kubeconfigs (node.kubeconfig, kube-proxy.kubeconfig).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${TESTENV_BIN:-${TESTENV_DIR:-$ROOT/.cache/testenv}/bin}
TIMEOUT=${TESTENV_READY_TIMEOUT:-180}
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler)

log() { echo "control-plane: $*" >&2; }
die() { log "$*"; exit 1; }

port_in_use() { # port -> 0 when something listens on 127.0.0.1:port (or it is taken by us)
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
  [[ " ${TAKEN_PORTS:-} " == *" $1 "* ]]
}
pick_port() { # VAR [fixed] ; sets VAR to the fixed port or to a random free high loopback port
  local p i
  if [[ -n ${2:-} ]]; then TAKEN_PORTS="${TAKEN_PORTS:-} $2"; printf -v "$1" '%s' "$2"; return 0; fi
  for i in $(seq 1 200); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    if ! port_in_use "$p"; then TAKEN_PORTS="${TAKEN_PORTS:-} $p"; printf -v "$1" '%s' "$p"; return 0; fi
  done
  die "no free port found"
}

pki() { # dir
  local P=$1/pki; mkdir -p "$P"; chmod 700 "$P"
  local ossl="openssl"
  key() { $ossl ecparam -name prime256v1 -genkey -noout -out "$P/$1.key" 2>/dev/null; }
  key ca
  $ossl req -x509 -new -key "$P/ca.key" -sha256 -days 7 -subj "/CN=testenv-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$P/ca.crt" 2>/dev/null
  cert() { # name subject extfile-content
    key "$1"
    $ossl req -new -key "$P/$1.key" -subj "$2" -out "$P/$1.csr" 2>/dev/null
    printf '%s\n' "$3" >"$P/$1.ext"
    $ossl x509 -req -in "$P/$1.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial -sha256 -days 7 \
      -extfile "$P/$1.ext" -out "$P/$1.crt" 2>/dev/null
    rm -f "$P/$1.csr" "$P/$1.ext"
  }
  local client="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  cert apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:$ADDRESS,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert admin "/O=system:masters/CN=testenv-admin" "$client"
  # aggregation layer (front proxy): the apiserver's identity towards extension apiservers
  cert front-proxy-client "/CN=front-proxy-client" "$client"
  cert controller-manager "/CN=system:kube-controller-manager" "$client"
  cert scheduler "/CN=system:kube-scheduler" "$client"
  # the apiserver's identity towards kubelets (logs/exec), as kubeadm's apiserver-kubelet-client
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client"
  if [[ -n ${NODE_NAME:-} ]]; then
    cert node "/O=system:nodes/CN=system:node:$NODE_NAME" "$client"
    cert kube-proxy "/CN=system:kube-proxy" "$client"
  fi
  # service-account token signing keypair
  $ossl genrsa -out "$P/sa.key" 2048 2>/dev/null
  $ossl rsa -in "$P/sa.key" -pubout -out "$P/sa.pub" 2>/dev/null
  rm -f "$P/ca.srl"
}

kubeconfig() { # dir user-cert-name out
  local P=$1/pki b64='base64 -w0'
  cat >"$3" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: testenv
  cluster:
    server: $APISERVER_URL
    certificate-authority-data: $($b64 <"$P/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $($b64 <"$P/$2.crt")
    client-key-data: $($b64 <"$P/$2.key")
contexts:
- name: testenv
  context: {cluster: testenv, user: $2}
current-context: testenv
EOF
  chmod 600 "$3"
}

alive() { # pid dir -> 0 if pid is alive and is one of ours (its command line names DIR)
  [[ -r /proc/$1/cmdline ]] && { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null | grep -qF -- "$2"
}

stop_dir() { # dir ; stops in reverse start order, each one before the next (etcd last)
  local D=$1 name pid pids=() names=() i n=0
  [[ -f $D/pids ]] || { log "nothing to stop in $D (no pids file)"; return 0; }
  while read -r name pid; do [[ -n ${pid:-} ]] && { pids=("$pid" "${pids[@]}"); names=("$name" "${names[@]}"); }; done <"$D/pids"
  for i in "${!pids[@]}"; do
    pid=${pids[$i]}
    alive "$pid" "$D" || continue
    n=$((n + 1))
    kill -TERM "$pid" 2>/dev/null || true
    local t; for t in $(seq 1 150); do alive "$pid" "$D" || break; sleep 0.1; done
    if alive "$pid" "$D"; then
      log "${names[$i]} (pid $pid) did not stop within 15s of SIGTERM: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for t in $(seq 1 50); do alive "$pid" "$D" || break; sleep 0.1; done
    fi
  done
  rm -f "$D/pids"
  log "stopped $n processes in $D"
}

launch() { # name args... ; starts BIN/name in the background, appends to pids
  local name=$1; shift
  # setsid: own session, so a terminal's ^C on the caller doesn't hit the daemons directly;
  # stop_dir / the run-mode trap stop them by pid.
  setsid "$BIN/$name" "$@" >"$DIR/logs/$name.log" 2>&1 </dev/null &
  echo "$name $!" >>"$DIR/pids"
}

wait_for() { # what cmd... ; polls until cmd succeeds, a component dies, or the timeout
  local what=$1; shift; local end=$(( $(date +%s) + TIMEOUT )) name pid
  until "$@" >/dev/null 2>&1; do
    while read -r name pid; do
      alive "$pid" "$DIR" || { log "$name (pid $pid) exited while waiting for $what; last log lines:"; tail -n 30 "$DIR/logs/$name.log" >&2; return 1; }
    done <"$DIR/pids"
    (( $(date +%s) < end )) || { log "timed out after ${TIMEOUT}s waiting for $what"; return 1; }
    sleep 0.3
  done
}

api_get() { # path -> body on stdout, fails unless HTTP 2xx
  curl -fsS --max-time 5 --cacert "$DIR/pki/ca.crt" --cert "$DIR/pki/admin.crt" --key "$DIR/pki/admin.key" "$APISERVER_URL$1"
}
readyz() { [[ $(api_get /readyz) == ok ]]; }
healthz_k() { [[ $(curl -ksS --max-time 5 "https://127.0.0.1:$1/healthz") == ok ]]; }

start() {
  local D=${1:-}
  for c in "${COMPONENTS[@]}"; do [[ -x $BIN/$c ]] || die "$BIN/$c missing: run 'bash tools/testenv/build.sh' first"; done
  command -v openssl >/dev/null || die "openssl not found (Debian package: openssl)"
  command -v curl >/dev/null || die "curl not found (Debian package: curl)"
  if [[ -z $D ]]; then D=$(mktemp -d "${TMPDIR:-/tmp}/testenv-cp.XXXXXX"); fi
  mkdir -p "$D"; DIR=$(cd "$D" && pwd)
  if [[ -f $DIR/pids ]]; then die "$DIR/pids exists: already running? ('$0 stop $DIR' first)"; fi
  mkdir -p "$DIR/logs"; : >"$DIR/pids"
  # on any failure below, stop what was started
  trap 'rc=$?; if (( rc != 0 )); then log "start failed; stopping"; stop_dir "$DIR"; fi' EXIT

  local ETCD_PORT ETCD_PEER_PORT API_PORT KCM_PORT SCHED_PORT
  pick_port ETCD_PORT "${TESTENV_ETCD_PORT:-}"
  pick_port ETCD_PEER_PORT "${TESTENV_ETCD_PEER_PORT:-}"
  pick_port API_PORT "${TESTENV_APISERVER_PORT:-}"
  pick_port KCM_PORT "${TESTENV_KCM_PORT:-}"
  pick_port SCHED_PORT "${TESTENV_SCHEDULER_PORT:-}"
  ADDRESS=${TESTENV_ADDRESS:-127.0.0.1} NODE_NAME=${TESTENV_NODE_NAME:-}
  APISERVER_URL=https://$ADDRESS:$API_PORT
  # 1.37 refuses a loopback address for the `kubernetes` endpoints; any other is published.
  local reconciler=lease; [[ $ADDRESS == 127.* ]] && reconciler=none
  local P=$DIR/pki t0; t0=$(date +%s)

  pki "$DIR"
  kubeconfig "$DIR" admin "$DIR/admin.kubeconfig"
  kubeconfig "$DIR" controller-manager "$DIR/controller-manager.kubeconfig"
  kubeconfig "$DIR" scheduler "$DIR/scheduler.kubeconfig"
  if [[ -n $NODE_NAME ]]; then
    kubeconfig "$DIR" node "$DIR/node.kubeconfig"
    kubeconfig "$DIR" kube-proxy "$DIR/kube-proxy.kubeconfig"
  fi

  launch etcd --name testenv --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "testenv=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --log-level warn
  wait_for etcd curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_PORT/health"

  launch kube-apiserver --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address "$ADDRESS" --advertise-address "$ADDRESS" --secure-port "$API_PORT" --cert-dir "$P" \
    --tls-cert-file "$P/apiserver.crt" --tls-private-key-file "$P/apiserver.key" --client-ca-file "$P/ca.crt" \
    --service-account-issuer "$APISERVER_URL" --service-account-key-file "$P/sa.pub" \
    --service-account-signing-key-file "$P/sa.key" --service-cluster-ip-range 10.0.0.0/24 \
    --requestheader-client-ca-file "$P/ca.crt" --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$P/front-proxy-client.crt" --proxy-client-key-file "$P/front-proxy-client.key" \
    --authorization-mode Node,RBAC --allow-privileged=true --endpoint-reconciler-type "$reconciler" \
    --profiling=false --v=1 \
    --kubelet-client-certificate "$P/apiserver-kubelet-client.crt" --kubelet-client-key "$P/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP,ExternalIP,Hostname
  wait_for "kube-apiserver /readyz" readyz

  launch kube-controller-manager --kubeconfig "$DIR/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$DIR/controller-manager.kubeconfig" --authorization-kubeconfig "$DIR/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --cert-dir "$P/kcm" --leader-elect=false \
    --use-service-account-credentials=true --service-account-private-key-file "$P/sa.key" \
    --root-ca-file "$P/ca.crt" --cluster-signing-cert-file "$P/ca.crt" --cluster-signing-key-file "$P/ca.key" \
    --node-monitor-period "${TESTENV_NODE_MONITOR_PERIOD:-2s}" --node-monitor-grace-period "${TESTENV_NODE_MONITOR_GRACE:-12s}" \
    --profiling=false --v=1
  launch kube-scheduler --kubeconfig "$DIR/scheduler.kubeconfig" \
    --authentication-kubeconfig "$DIR/scheduler.kubeconfig" --authorization-kubeconfig "$DIR/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" --cert-dir "$P/scheduler" --leader-elect=false \
    --profiling=false --v=1
  wait_for kube-controller-manager healthz_k "$KCM_PORT"
  wait_for kube-scheduler healthz_k "$SCHED_PORT"
  # the serviceaccount controller of kube-controller-manager creates default/default
  wait_for "default service account" api_get /api/v1/namespaces/default/serviceaccounts/default

  cat >"$DIR/env" <<EOF
DIR=$DIR
KUBECONFIG=$DIR/admin.kubeconfig
APISERVER_URL=$APISERVER_URL
ETCD_URL=http://127.0.0.1:$ETCD_PORT
APISERVER_PORT=$API_PORT
ETCD_PORT=$ETCD_PORT
KCM_PORT=$KCM_PORT
SCHEDULER_PORT=$SCHED_PORT
EOF
  trap - EXIT
  cat "$DIR/env"
  while read -r name pid; do name=${name//-/_}; echo "PID_${name^^}=$pid"; done <"$DIR/pids"
  log "ready in $(( $(date +%s) - t0 ))s: export KUBECONFIG=$DIR/admin.kubeconfig; stop with: $0 stop $DIR"
}

STOPPING=0
cleanup() { (( STOPPING )) && return 0; STOPPING=1; [[ -n ${DIR:-} ]] && stop_dir "$DIR"; }

run() {
  local parent=$PPID
  trap 'cleanup; exit 0' INT TERM HUP
  start "$@"
  trap cleanup EXIT
  echo "READY"
  # stay up while the parent lives and the components run
  local name pid
  while kill -0 "$parent" 2>/dev/null; do
    while read -r name pid; do
      alive "$pid" "$DIR" || { log "$name (pid $pid) died; stopping"; exit 1; }
    done <"$DIR/pids"
    sleep 1 & wait $! || true
  done
  log "parent $parent is gone; stopping"
}

cmd=${1:-}; shift || true
case $cmd in
  start) start "$@" ;;
  run) run "$@" ;;
  stop) [[ -n ${1:-} ]] || die "usage: $0 stop DIR"; stop_dir "$(cd "$1" && pwd)" ;;
  status)
    [[ -n ${1:-} && -f $1/pids ]] || die "usage: $0 status DIR (with DIR/pids)"
    D=$(cd "$1" && pwd); while read -r n p; do if alive "$p" "$D"; then echo "$n $p running"; else echo "$n $p stopped"; fi; done <"$D/pids" ;;
  *) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; [[ $cmd == -h || $cmd == --help ]] || exit 2 ;;
esac
