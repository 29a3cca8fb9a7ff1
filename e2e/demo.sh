#!/usr/bin/env bash
# Demo: start the local control plane, install Palisade's CRDs and examples, show them.
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
echo; echo "Control plane still running: export KUBECONFIG=$KUBECONFIG ; stop it with 'make controlplane-stop'"
