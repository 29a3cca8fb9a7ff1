#!/usr/bin/env bash
# Kyverno as the in-cluster peer of the operator benchmark: its reports-controller (background
# scan) with the Pod Security Standards `restricted` policy, on the control plane that
# bench/operator-scale.sh filled, measured as the operator is: time until its reports cover the
# cluster, memory, and the number and bytes of its report objects.
#
#   bash bench/kyverno.sh build              build the controller once (cached in $PALISADE_CACHE)
#   bash bench/kyverno.sh measure OUT.json   run it against $KUBECONFIG and write the figures
#   bash bench/kyverno.sh reset              delete every report it wrote (before measuring again)
#
# Kyverno's replace directives keep `go install` from building it, so it is built as the main
# module from a copy of the module cache's source.
set -euo pipefail

version="${KYVERNO_VERSION:-v1.19.1}"
cache="${PALISADE_CACHE:-$HOME/.cache/palisade}"
binary="$cache/kyverno-$version/reports-controller"
log() { echo "kyverno: $*" >&2; }

build() {
  [[ -x "$binary" ]] && return
  local source work
  source="$(go mod download -json "github.com/kyverno/kyverno@$version" | jq -r .Dir)"
  [[ -d "$source" ]] || { log "go mod download github.com/kyverno/kyverno@$version failed"; exit 1; }
  work="$(mktemp -d)"
  cp -r "$source" "$work/src"
  chmod -R u+w "$work/src"
  log "building reports-controller $version (first time only; several minutes)"
  mkdir -p "$(dirname "$binary")"
  (cd "$work/src" && go build -trimpath -ldflags='-s -w' -o "$binary.tmp" ./cmd/reports-controller)
  mv "$binary.tmp" "$binary"
  cp -r "$work/src/config/crds" "$(dirname "$binary")/crds"
  rm -rf "$work"
}

report_kinds=(policyreports.wgpolicyk8s.io clusterpolicyreports.wgpolicyk8s.io
  ephemeralreports.reports.kyverno.io clusterephemeralreports.reports.kyverno.io)

# Reports of Kyverno's kinds: how many, their JSON bytes, and how many results they hold.
report_totals() {
  local total_items=0 total_bytes=0 total_results=0 kind line
  for kind in "${report_kinds[@]}"; do
    line="$(kubectl get "$kind" -A -o json 2>/dev/null \
      | jq -r '[.items | length, (map(tojson | length) | add // 0), (map(.results // [] | length) | add // 0)] | @tsv')" || line="0	0	0"
    read -r items bytes results <<<"$line"
    total_items=$((total_items + items)) total_bytes=$((total_bytes + bytes)) total_results=$((total_results + results))
  done
  echo "$total_items $total_bytes $total_results"
}

reset() {
  local kind
  for kind in "${report_kinds[@]}"; do
    kubectl delete "$kind" --all --all-namespaces --wait=true >/dev/null
  done
}

measure() {
  local out="$1" dir pid started converged="" last="" stable_since="" now peak timeout
  build
  dir="$(mktemp -d)"
  kubectl apply --server-side --force-conflicts -f "$(dirname "$binary")/crds/kyverno" \
    -f "$(dirname "$binary")/crds/policyreport" -f "$(dirname "$binary")/crds/reports" \
    -f "$(dirname "$binary")/crds/policies.kyverno.io" >/dev/null
  kubectl wait --for=condition=Established --timeout=60s crd --all >/dev/null
  kubectl create namespace kyverno --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  # Kyverno's configuration and metrics configuration, left at their defaults.
  for config in kyverno kyverno-metrics; do
    kubectl -n kyverno create configmap "$config" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  done
  kubectl apply -f - >/dev/null <<'POLICY'
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: podsecurity-restricted
spec:
  background: true
  validationFailureAction: Audit
  rules:
    - name: restricted
      match:
        any:
          - resources:
              kinds: [Pod]
      validate:
        podSecurity:
          level: restricted
          version: latest
POLICY
  log "starting reports-controller"
  started="$(date +%s%N)"
  KYVERNO_NAMESPACE=kyverno KYVERNO_SERVICEACCOUNT_NAME=kyverno KYVERNO_DEPLOYMENT=kyverno-reports-controller \
    KYVERNO_POD_NAME=kyverno-reports-controller-bench INIT_CONFIG=kyverno METRICS_CONFIG=kyverno-metrics \
    "$binary" --kubeconfig "$KUBECONFIG" --admissionReports=false --backgroundScanWorkers=2 \
    --metricsPort=18001 > "$dir/kyverno.log" 2>&1 &
  pid=$!
  # Converged: the number of results has not moved for 30 s (Kyverno's aggregation runs on its
  # own period), timed from when it stopped moving.
  timeout=$((600 + ${EXPECTED_PODS:-0} / 10))
  while :; do
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$dir/kyverno.log" >&2; log "reports-controller exited"; break; }
    read -r items bytes results < <(report_totals)
    now="$(( ($(date +%s%N) - started) / 1000000 ))"
    if [[ "$results $items" != "$last" ]]; then last="$results $items" stable_since="$now"; fi
    if (( results > 0 && now - stable_since >= 30000 )); then converged="$stable_since"; break; fi
    (( now / 1000 > timeout )) && { log "not converged after ${timeout}s"; break; }
    sleep 2
  done
  peak="$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)"
  read -r items bytes results < <(report_totals)
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  jq -n --arg version "$version" --arg converged "$converged" --argjson peak "${peak:-0}" \
    --argjson items "$items" --argjson bytes "$bytes" --argjson results "$results" '{
      peer: "kyverno reports-controller \($version), background scan, PSS restricted (podSecurity rule)",
      converged: ($converged != ""),
      converge_seconds: (if $converged == "" then null else ($converged | tonumber) / 1000 end),
      peak_rss_mib: ($peak / 1024 | . * 10 | round / 10),
      report_objects: $items, report_bytes: $bytes, results: $results
    }' > "$out"
  rm -rf "$dir"
  cat "$out"
}

case "${1:-}" in
  build) build ;;
  measure) measure "${2:?usage: $0 measure OUT.json}" ;;
  reset) reset ;;
  *) echo "usage: $0 build|measure OUT.json|reset" >&2; exit 2 ;;
esac
