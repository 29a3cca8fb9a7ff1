#!/usr/bin/env bash
# Runs the end-to-end tests against a fresh local control plane and always stops it afterwards.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PALISADE_CP_DIR="${PALISADE_CP_DIR:-${TMPDIR:-/tmp}/palisade-e2e-$$}"
trap '"$here/controlplane.sh" stop' EXIT
"$here/controlplane.sh" start
export KUBECONFIG="$PALISADE_CP_DIR/admin.kubeconfig"
# The operator's e2e tests run the binary as a process, as it runs in a cluster.
cargo build --locked -p palisade
cargo test --locked -p palisade-e2e -- --test-threads 2 "$@"
(cd "$here/../gitops" && go test -count=1 ./kstatus/...)
