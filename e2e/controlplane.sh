#!/usr/bin/env bash
# Local control plane: a real etcd, kube-apiserver and kube-controller-manager built from the
# official Go modules (see controlplane/go.mod for the pinned version), cached outside the repo.
#
#   e2e/controlplane.sh build   build the binary once (cached in $PALISADE_CACHE)
#   e2e/controlplane.sh start   start on loopback, write $PALISADE_CP_DIR/admin.kubeconfig
#   e2e/controlplane.sh stop    stop every process and remove the data (idempotent)
#   e2e/controlplane.sh stop-one|start-one|pause|resume COMPONENT   (etcd, kube-apiserver,
#                               kube-controller-manager) for fault tests; data is kept
#   e2e/controlplane.sh compact compact etcd to its current revision (prints it)
#   e2e/controlplane.sh put KEY write stdin to etcd at KEY, past the API server
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
k8s_version="$(awk '$1=="k8s.io/kubernetes"{print $2}' "$here/controlplane/go.mod")"
cache="${PALISADE_CACHE:-$HOME/.cache/palisade}"
binary="$cache/controlplane-$k8s_version-$(cat "$here/controlplane/go.mod" "$here/controlplane/main.go" | sha256sum | cut -c1-12)"
dir="${PALISADE_CP_DIR:-${TMPDIR:-/tmp}/palisade-controlplane}"
etcd_port="${PALISADE_ETCD_PORT:-23790}"
etcd_peer_port=$((etcd_port + 1))
api_port="${PALISADE_API_PORT:-26443}"
kcm_port="${PALISADE_KCM_PORT:-26257}"
# kube-controller-manager's request rate: its default (20/s) makes 10k pods take 12 minutes to
# appear; benchmarks raise it.
kcm_qps="${PALISADE_KCM_QPS:-20}"

die() { echo "controlplane: $*" >&2; exit 1; }

build() {
  if [[ -x "$binary" ]]; then return; fi
  command -v go >/dev/null || die "go is not installed"
  mkdir -p "$cache"
  echo "controlplane: building Kubernetes $k8s_version (first time only; cached at $binary)" >&2
  if ! (cd "$here/controlplane" && go build -trimpath -ldflags='-s -w' -o "$binary.tmp" .); then
    rm -f "$binary.tmp"
    die "build of the control plane failed (see the go output above)"
  fi
  mv "$binary.tmp" "$binary"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # seconds, command...
  local seconds="$1"; shift
  for _ in $(seq 1 $((seconds * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  return 1
}

certs() {
  local pki="$dir/pki"
  mkdir -p "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=palisade-e2e-ca" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=palisade-admin" \
    -keyout "$pki/admin.key" -out "$pki/admin.csr" 2>/dev/null
  # X.509 v3 with client-auth usage: rustls (the operator's TLS) rejects v1 certificates.
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' > "$pki/admin.ext"
  openssl x509 -req -in "$pki/admin.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 7 -extfile "$pki/admin.ext" -out "$pki/admin.crt" 2>/dev/null
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
}

kubeconfig() {
  local pki="$dir/pki"
  cat > "$dir/admin.kubeconfig" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: palisade-e2e
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority: $dir/apiserver/apiserver.crt
contexts:
- name: palisade-e2e
  context: {cluster: palisade-e2e, user: admin}
current-context: palisade-e2e
users:
- name: admin
  user:
    client-certificate: $pki/admin.crt
    client-key: $pki/admin.key
KCFG
}

# Each component keeps its pid in $dir/NAME.pid (and $dir/pids, in start order, for `stop`), so
# fault tests can stop, start, pause and resume one of them with the same flags.
start_etcd() {
  "$binary" etcd --name palisade-e2e --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "palisade-e2e=http://127.0.0.1:$etcd_peer_port" \
    --unsafe-no-fsync --log-level warn >>"$dir/logs/etcd.log" 2>&1 &
  started etcd $!
  wait_for 30 curl -sf "http://127.0.0.1:$etcd_port/health" || die "etcd did not become healthy; see $dir/logs/etcd.log"
}

# The audit log records every write to Palisade's objects with its client's User-Agent (which
# names the operator replica) and timestamps, so tests can tell which replica wrote when.
audit_policy() {
  cat > "$dir/audit-policy.yaml" <<'POLICY'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    verbs: [create, update, patch, delete]
    resources:
      - group: palisade.dev
  - level: None
POLICY
}

start_apiserver() {
  # Since v1.37 an endpoint reconciler refuses the loopback advertise address; nothing here needs
  # the endpoints of the `kubernetes` Service (clients use the kubeconfig's address).
  "$binary" kube-apiserver --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --secure-port "$api_port" --cert-dir "$dir/apiserver" \
    --client-ca-file "$dir/pki/ca.crt" --authorization-mode Node,RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$dir/pki/sa.pub" --service-account-signing-key-file "$dir/pki/sa.key" \
    --service-cluster-ip-range 10.96.0.0/16 --advertise-address 127.0.0.1 --endpoint-reconciler-type none \
    --enable-admission-plugins NamespaceLifecycle,LimitRanger,ServiceAccount,PodSecurity,DefaultStorageClass,ResourceQuota,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy \
    --audit-policy-file "$dir/audit-policy.yaml" --audit-log-path "$dir/logs/audit.log" \
    --allow-privileged=true >>"$dir/logs/kube-apiserver.log" 2>&1 &
  started kube-apiserver $!
  wait_for 60 test -s "$dir/apiserver/apiserver.crt" || die "kube-apiserver wrote no serving cert; see $dir/logs/kube-apiserver.log"
  kubeconfig
  wait_for 90 kubectl --kubeconfig "$dir/admin.kubeconfig" get --raw /readyz \
    || die "kube-apiserver did not become ready; see $dir/logs/kube-apiserver.log"
}

start_kcm() {
  "$binary" kube-controller-manager --kubeconfig "$dir/admin.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$kcm_port" \
    --service-account-private-key-file "$dir/pki/sa.key" --root-ca-file "$dir/apiserver/apiserver.crt" \
    --use-service-account-credentials --cluster-signing-cert-file "$dir/pki/ca.crt" --cluster-signing-key-file "$dir/pki/ca.key" \
    --controllers '*,-node-ipam-controller,-node-lifecycle-controller' \
    --leader-elect=false --kube-api-qps "$kcm_qps" --kube-api-burst "$((kcm_qps * 2))" \
    >>"$dir/logs/kube-controller-manager.log" 2>&1 &
  started kube-controller-manager $!
}

started() { # name, pid
  echo "$2" > "$dir/$1.pid"
  echo "$2" >> "$dir/pids"
}

start() {
  build
  if [[ -f "$dir/pids" ]]; then die "already running (pids in $dir/pids); run '$0 stop' first"; fi
  for port in "$etcd_port" "$etcd_peer_port" "$api_port" "$kcm_port"; do
    port_free "$port" || die "port $port on 127.0.0.1 is taken; set PALISADE_ETCD_PORT / PALISADE_API_PORT / PALISADE_KCM_PORT"
  done
  mkdir -p "$dir/logs" "$dir/apiserver"
  trap 'status=$?; if [[ $status != 0 ]]; then echo "controlplane: start failed; stopping" >&2; stop; fi' EXIT
  certs
  audit_policy
  local started; started=$(date +%s%N)
  start_etcd
  start_apiserver
  start_kcm
  wait_for 60 kubectl --kubeconfig "$dir/admin.kubeconfig" -n default get serviceaccount default \
    || die "kube-controller-manager created no default service account; see $dir/logs/kube-controller-manager.log"
  trap - EXIT
  echo "controlplane: Kubernetes $k8s_version ready in $(( ($(date +%s%N) - started) / 1000000 )) ms; export KUBECONFIG=$dir/admin.kubeconfig" >&2
}

component_pid() { # name
  case "$1" in etcd|kube-apiserver|kube-controller-manager) ;; *) die "unknown component '$1'" ;; esac
  [[ -f "$dir/$1.pid" ]] || die "$1 is not running under $dir"
  cat "$dir/$1.pid"
}

# Stops one component (SIGTERM, then SIGKILL after 10 s) and keeps its data.
stop_one() {
  local pid; pid="$(component_pid "$1")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/$1.pid"
  grep -vx "$pid" "$dir/pids" > "$dir/pids.kept" || true
  mv "$dir/pids.kept" "$dir/pids"
}

start_one() {
  [[ ! -f "$dir/$1.pid" ]] || die "$1 is already running"
  case "$1" in
    etcd) start_etcd ;;
    kube-apiserver) start_apiserver ;;
    kube-controller-manager) start_kcm ;;
    *) die "unknown component '$1'" ;;
  esac
}

# Compacts etcd's history up to its current revision, so a watch resuming from an older
# resourceVersion gets 410 Gone (through etcd's JSON gateway: no etcdctl needed).
compact() {
  local revision
  revision="$(curl -sf -X POST "http://127.0.0.1:$etcd_port/v3/kv/range" -d '{"key":"AA=="}' \
    | sed -n 's/.*"revision":"\([0-9]*\)".*/\1/p')"
  [[ -n "$revision" ]] || die "could not read etcd's revision"
  curl -sf -X POST "http://127.0.0.1:$etcd_port/v3/kv/compaction" -d "{\"revision\":\"$revision\",\"physical\":true}" >/dev/null \
    || die "compaction to revision $revision failed"
  echo "$revision"
}

# Writes stdin to etcd at KEY, past the API server: leaves objects no API call can make, such as
# the ones the namespace controller leaves behind in a namespace it deleted.
put() {
  local body
  # Base64 needs no JSON escaping.
  body="$(printf '{"key":"%s","value":"%s"}' "$(printf '%s' "$1" | base64 -w0)" "$(base64 -w0)")"
  curl -sf -X POST "http://127.0.0.1:$etcd_port/v3/kv/put" -d "$body" >/dev/null || die "writing $1 to etcd failed"
}

stop() {
  if [[ -f "$dir/pids" ]]; then
    # A paused component (see `pause`) must be resumed to act on SIGTERM.
    tac "$dir/pids" | while read -r pid; do kill -CONT "$pid" 2>/dev/null; kill "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 50); do
      alive=0
      while read -r pid; do kill -0 "$pid" 2>/dev/null && alive=1; done < "$dir/pids"
      [[ $alive == 0 ]] && break
      sleep 0.1
    done
    while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done < "$dir/pids"
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  build) build ;;
  start) start ;;
  stop) stop ;;
  stop-one) stop_one "${2:?component}" ;;
  start-one) start_one "${2:?component}" ;;
  pause) kill -STOP "$(component_pid "${2:?component}")" ;;
  resume) kill -CONT "$(component_pid "${2:?component}")" ;;
  compact) compact ;;
  put) put "${2:?key}" ;;
  *) echo "usage: $0 build|start|stop|stop-one|start-one|pause|resume|compact|put" >&2; exit 2 ;;
esac
