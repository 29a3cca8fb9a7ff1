#!/usr/bin/env bash
# Demo: start the local control plane, install Palisade's CRDs and examples, show them, then run
# Palisade's checks over what the cluster holds (deployed example workloads, the pods the
# controllers made of them, RBAC, services) through `palisade audit`.
# The control plane keeps running afterwards; `make controlplane-stop` stops it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash e2e/controlplane.sh stop
bash e2e/controlplane.sh start
export KUBECONFIG="${PALISADE_CP_DIR:-${TMPDIR:-/tmp}/palisade-controlplane}/admin.kubeconfig"
cargo run --locked -q -p palisade -- crds | kubectl apply --server-side -f -
kubectl wait --for=condition=Established --timeout=60s crd --all
kubectl apply --server-side -f examples/baseline-restricted.yaml -f examples/posture-report.yaml -f examples/cluster-posture-report.yaml
echo; echo "\$ kubectl get hardeningbaselines"; kubectl get hardeningbaselines
echo; echo "\$ kubectl get posturereports -A"; kubectl get posturereports -A
echo; echo "\$ kubectl get clusterposturereports"; kubectl get clusterposturereports
echo; echo "An invalid baseline is rejected at admission:"
kubectl apply --server-side --dry-run=server -f examples/invalid/exception-without-expiry.yaml || true
cargo build --locked -q -p palisade
palisade="$root/target/debug/palisade"
kubectl apply --server-side -f examples/audit/hardened/namespace.yaml >/dev/null
kubectl apply --server-side -f examples/audit/insecure.yaml -f examples/audit/hardened/ >/dev/null
kubectl wait --for=create --timeout=30s pod -l app=web -n shop >/dev/null 2>&1 || true
kinds=namespaces,deployments,daemonsets,statefulsets,jobs,cronjobs,pods,services,serviceaccounts,roles,rolebindings,clusterroles,clusterrolebindings,networkpolicies
echo; echo "\$ kubectl get $kinds -A -o json | palisade audit -f - --fail-on critical"
kubectl get "$kinds" -A -o json | "$palisade" audit -f - --fail-on critical || echo "(exit code $?: a Required check fails at critical severity)"
echo; echo "Control plane still running: export KUBECONFIG=$KUBECONFIG ; stop it with 'make controlplane-stop'"
