#!/usr/bin/env bash
# Demo: start the local control plane, install Palisade's CRDs, a HardeningBaseline and example
# workloads, run `palisade operator` against it, show the reports it writes, then fix a workload
# and show its report change. The control plane keeps running afterwards (the operator stops);
# `make controlplane-stop` stops it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash e2e/controlplane.sh stop
bash e2e/controlplane.sh start
export KUBECONFIG="${PALISADE_CP_DIR:-${TMPDIR:-/tmp}/palisade-controlplane}/admin.kubeconfig"
cargo build --locked -q -p palisade
palisade="$root/target/debug/palisade"
say() { echo; echo "\$ $*"; "$@"; }

"$palisade" crds | kubectl apply --server-side -f - >/dev/null
kubectl wait --for=condition=Established --timeout=60s crd --all >/dev/null
kubectl apply --server-side -f examples/baseline-restricted.yaml -f examples/audit/hardened/namespace.yaml >/dev/null
kubectl apply --server-side -f examples/audit/insecure.yaml -f examples/audit/hardened/ >/dev/null
# `shop` runs the insecure examples; declare it a production namespace, governed by the baseline.
kubectl label namespace shop palisade.dev/tier=production --overwrite >/dev/null
echo; echo "An invalid baseline is rejected at admission:"
kubectl apply --server-side --dry-run=server -f examples/invalid/exception-without-expiry.yaml || true

log="$(mktemp -t palisade-operator.XXXXXX.log)"
"$palisade" operator --listen 127.0.0.1:18080 --lease-namespace default --identity demo \
  --exclude-namespaces kube-system,kube-public,kube-node-lease --log-format text >"$log" 2>&1 &
operator=$!
trap 'kill "$operator" 2>/dev/null || true' EXIT
echo; echo "palisade operator started (pid $operator, log $log, metrics http://127.0.0.1:18080/metrics)"
for _ in $(seq 1 100); do
  kubectl get posturereport posture -n shop >/dev/null 2>&1 && break
  sleep 0.2
done
sleep 1
say kubectl get posturereports -A
say kubectl get clusterposturereports
say kubectl get hardeningbaselines
echo; echo "\$ kubectl get posturereport posture -n shop -o jsonpath='{.status.drift}'"
kubectl get posturereport posture -n shop -o jsonpath='{.status.drift}' | python3 -m json.tool
echo; echo "\$ kubectl get posturereport posture -n shop -o jsonpath='{range .status.checks[*]}…{end}'  (failing checks)"
kubectl get posturereport posture -n shop \
  -o jsonpath='{range .status.checks[*]}{.severity}{"\t"}{.mode}{"\t"}{.id}{"\t"}{.resources[0].kind}/{.resources[0].name}{"\n"}{end}'

echo; echo "Fixing Deployment web: no more privileged container (Recreate: this control plane has no"
echo "nodes, so a rolling update would never retire the old pods)…"
kubectl patch deployment web -n shop --type=json -p='[
  {"op": "replace", "path": "/spec/strategy", "value": {"type": "Recreate"}},
  {"op": "replace", "path": "/spec/template/spec/containers/0/securityContext/privileged", "value": false}]'
for _ in $(seq 1 50); do
  kubectl get posturereport posture -n shop -o jsonpath='{.status.checks[*].id}' | grep -qw pod.privileged || break
  sleep 0.2
done
say kubectl get posturereports -n shop
echo; echo "Entries of pod.privileged left in the report:"
kubectl get posturereport posture -n shop -o jsonpath='{.status.checks[*].id}' | tr ' ' '\n' | grep -c '^pod.privileged$' || true
echo; echo "Events Palisade emitted:"
kubectl get events.events.k8s.io -A --field-selector reportingController=palisade \
  -o custom-columns=NAMESPACE:.metadata.namespace,REASON:.reason,NOTE:.note 2>/dev/null || true
echo; echo "Control plane still running: export KUBECONFIG=$KUBECONFIG ; stop it with 'make controlplane-stop'"
