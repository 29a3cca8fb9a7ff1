#!/usr/bin/env bash
# The operator at scale on a real control plane (DESIGN.md section 6). Starts a fresh local
# control plane on its own ports, fills it with `loadgen` (SIZE pods and everything around them),
# measures the floor (how long the API server takes to LIST every kind the operator watches),
# then runs the operator and measures how long it takes to converge, its memory and its report
# writes in steady state. Writes bench/results/operator-scale-SIZE.json and .md.
#
# Usage: bash bench/operator-scale.sh [SIZE]     SIZE = pods, default 10000
#
# Environment:
#   APPLY_JOBS=4      kubectl apply processes working on the namespace files in parallel (at 10k
#                     pods on 2 cores: 1 process ~125 s, 2 ~95 s, 4 ~77 s)
#   SEED=...          loadgen seed (default: loadgen's)
#   SKIP_OPERATOR=1   stop after the floor (results say the operator was not run)
#   PEER=kyverno      then stop the operator and measure Kyverno's reports-controller on the same
#                     cluster (bench/kyverno.sh; built from its Go module the first time)
#   STEADY_SECONDS=300
#                     how long steady state is watched for writes after convergence
#   RUNS=1            first starts measured, alternating with the peer's when PEER is set (the
#                     operator, Kyverno, the operator, …); convergence and peak RSS are medians
#   LATENCY_LANES=8 LATENCY_ROUNDS=25
#                     then bench/latency.py: per kind of change, LANES namespaces changed ROUNDS
#                     times each, all at once (8 × 25 = 200 changes of each of six kinds)
#   APISERVER_PROFILE=1
#                     a CPU profile of kube-apiserver through the first start (SIZE/500 seconds, 5 to
#                     60), summarized by bench/apiserver-profile.py: where the API server's CPU went
#                     (0: skip)
#   WRITE_COST_ROUNDS=3
#                     then bench/report-write-cost.py: the API server's CPU per report write, by way
#                     of writing and by report size, in this many alternating rounds (0: skip)
#   PALISADE_BIN, LOADGEN_BIN
#                     prebuilt binaries to use instead of building target/release (both set: no build)
#   PALISADE_COMMIT   the commit prebuilt binaries come from, for the results (default: HEAD)
#   PALISADE_CP_DIR, PALISADE_ETCD_PORT, PALISADE_API_PORT, PALISADE_KCM_PORT, OPERATOR_LISTEN:
#                     where the control plane and the operator run (defaults below keep clear of
#                     the e2e tests' and the demo's)
#
# Needs cargo, go (first control-plane build), kubectl, curl, jq, openssl. Every wait is bounded;
# the control plane and the operator are stopped on exit, whatever happens.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
size="${1:-10000}"
[[ "$size" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SIZE]   (SIZE = pods, a positive integer)" >&2; exit 2; }
apply_jobs="${APPLY_JOBS:-4}"
steady_seconds="${STEADY_SECONDS:-300}"
latency_lanes="${LATENCY_LANES:-8}"
latency_rounds="${LATENCY_ROUNDS:-25}"
write_cost_rounds="${WRITE_COST_ROUNDS:-3}"
apiserver_profile="${APISERVER_PROFILE:-1}"
runs="${RUNS:-1}"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "RUNS must be a positive integer" >&2; exit 2; }
[[ "$steady_seconds" =~ ^[1-9][0-9]*$ ]] || { echo "STEADY_SECONDS must be a positive integer" >&2; exit 2; }
[[ "$write_cost_rounds" =~ ^[0-9]+$ ]] || { echo "WRITE_COST_ROUNDS must be a number" >&2; exit 2; }
listen="${OPERATOR_LISTEN:-127.0.0.1:18080}"
export PALISADE_CP_DIR="${PALISADE_CP_DIR:-${TMPDIR:-/tmp}/palisade-bench-scale}"
export PALISADE_ETCD_PORT="${PALISADE_ETCD_PORT:-33790}"
export PALISADE_API_PORT="${PALISADE_API_PORT:-36443}"
export PALISADE_KCM_PORT="${PALISADE_KCM_PORT:-36257}"
# Pods appear as fast as the API server takes them, not at the controllers' default 20 requests/s.
export PALISADE_KCM_QPS="${PALISADE_KCM_QPS:-200}"
export KUBECONFIG="$PALISADE_CP_DIR/admin.kubeconfig"
api="https://127.0.0.1:$PALISADE_API_PORT"
cd "$repo"

work="$(mktemp -d "${TMPDIR:-/tmp}/operator-scale.XXXXXX")"
operator_pid=""
cleanup() {
  local status=$?
  if [[ -n "$operator_pid" ]] && kill -0 "$operator_pid" 2>/dev/null; then
    kill "$operator_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$operator_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$operator_pid" 2>/dev/null || true
  fi
  bash e2e/controlplane.sh stop || true
  if [[ $status == 0 ]]; then rm -rf "$work"; else echo "operator-scale: failed; logs kept in $work" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "operator-scale: $*" >&2; }
now_ns() { date +%s%N; }
seconds_since() { awk -v start="$1" -v end="$(now_ns)" 'BEGIN { printf "%.3f\n", (end - start) / 1e9 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The API server directly, without kubectl's start-up and decoding in the way. The user agent
# matters: the API server pretty-prints JSON for curl's.
curl_api() {
  curl -sS --fail --max-time 120 --cacert "$PALISADE_CP_DIR/apiserver/apiserver.crt" \
    --cert "$PALISADE_CP_DIR/pki/admin.crt" --key "$PALISADE_CP_DIR/pki/admin.key" -H 'Accept: application/json' \
    -A palisade-bench "$@"
}

# Pods in the cluster, cheaply: one item plus the count the API server says remains.
count_pods() {
  curl_api "$api/api/v1/pods?limit=1" | jq '(.metadata.remainingItemCount // 0) + (.items | length)'
}

# --- build, control plane, CRDs -------------------------------------------------------------
# The commit the binaries come from, taken now: the tree may move on during a long run.
commit="${PALISADE_COMMIT:-$(git rev-parse --short HEAD)}"
dirty="$(if git diff --quiet HEAD -- Cargo.toml Cargo.lock crates bench/src bench/Cargo.toml; then echo false; else echo true; fi)"
palisade="${PALISADE_BIN:-$repo/target/release/palisade}"
loadgen="${LOADGEN_BIN:-$repo/target/release/loadgen}"
if [[ -z "${PALISADE_BIN:-}" || -z "${LOADGEN_BIN:-}" ]]; then
  log "building palisade and loadgen (release)"
  cargo build --release -q -p palisade -p palisade-bench --bin palisade --bin loadgen
fi

bash e2e/controlplane.sh build
bash e2e/controlplane.sh stop   # leftovers of an interrupted run in the same directory
started="$(now_ns)"
bash e2e/controlplane.sh start
controlplane_start_seconds="$(seconds_since "$started")"
"$palisade" crds | kubectl apply --server-side -f - >/dev/null
kubectl wait --for condition=Established crd --all --timeout 60s >/dev/null

# --- load -----------------------------------------------------------------------------------
log "generating $size pods' worth of objects"
"$loadgen" --pods "$size" ${SEED:+--seed "$SEED"} -o "$work/manifests" > "$work/loadgen.json"
expected_pods="$(jq .expected_pods "$work/loadgen.json")"
objects_total="$(jq .objects_total "$work/loadgen.json")"

# Cluster-scoped objects first (the namespaces must exist), then the namespace files shared
# round-robin among APPLY_JOBS kubectl processes. kubectl applies one object per request.
apply() { # log, files...
  local log_file="$1"; shift
  local args=()
  for file in "$@"; do args+=(-f "$file"); done
  timeout $((600 + size / 5)) kubectl apply --server-side --field-manager loadgen "${args[@]}" >"$log_file" 2>&1
}
log "applying $objects_total objects with $apply_jobs parallel kubectl processes"
started="$(now_ns)"
apply "$work/apply-cluster.log" "$work/manifests/00-cluster.json" "$work/manifests/01-baselines.json"
mapfile -t namespace_files < <(ls "$work"/manifests/ns-*.json)
pids=()
for ((job = 0; job < apply_jobs; job++)); do
  share=()
  for ((i = job; i < ${#namespace_files[@]}; i += apply_jobs)); do share+=("${namespace_files[i]}"); done
  [[ ${#share[@]} -gt 0 ]] || continue
  apply "$work/apply-$job.log" "${share[@]}" &
  pids+=($!)
done
apply_failed=0
for pid in "${pids[@]}"; do wait "$pid" || apply_failed=1; done
apply_seconds="$(seconds_since "$started")"
# kubectl prints one line per object applied, Pod Security warnings, and errors.
apply_errors="$(cat "$work"/apply-*.log | grep -cv -e ' serverside-applied$' -e '^Warning:' || true)"
if [[ $apply_failed != 0 ]]; then
  grep -hv -e ' serverside-applied$' -e '^Warning:' "$work"/apply-*.log | head -5 >&2
  log "kubectl apply failed ($apply_errors errors)"; exit 1
fi
log "applied in ${apply_seconds}s; waiting for $expected_pods pods"

# The controller-manager creates the pods (at its default 20 requests/s client limit); active
# CronJobs add theirs at the next minute boundary.
pods_timeout=$((300 + size / 8))
pods=0 polls=0
while :; do
  pods="$(count_pods || echo 0)"
  (( pods >= expected_pods )) && break
  (( ++polls % 6 == 0 )) && log "$pods pods after $(seconds_since "$started")s"
  if (( $(date +%s) - started / 1000000000 > pods_timeout )); then
    log "only $pods of $expected_pods pods after ${pods_timeout}s; measuring anyway"; break
  fi
  sleep 5
done
pods_seconds="$(seconds_since "$started")"
pods_listed="$(kubectl get pods -A --no-headers | wc -l)"
namespaces_total="$(kubectl get namespaces --no-headers | wc -l)"
log "$pods pods ($pods_listed listed by kubectl) ${pods_seconds}s after the apply began"

# Controllers keep writing statuses for a while after the last pod; measure a quiet cluster.
# The API server renews its own lease every 10 s, so "quiet" means a handful of writes.
resource_version() { curl_api "$api/api/v1/namespaces?limit=1" | jq -r .metadata.resourceVersion; }
started="$(now_ns)"
previous="$(resource_version)"
while :; do
  sleep 5
  current="$(resource_version)"
  (( current - previous < 10 )) && break
  if (( $(date +%s) - started / 1000000000 > 300 )); then log "cluster still busy after 300 s; measuring anyway"; break; fi
  previous="$current"
done
settle_seconds="$(seconds_since "$started")"

# --- floor: LIST every kind the operator watches ------------------------------------------
kinds=(
  namespaces:/api/v1/namespaces pods:/api/v1/pods serviceaccounts:/api/v1/serviceaccounts
  services:/api/v1/services secrets:/api/v1/secrets configmaps:/api/v1/configmaps
  deployments:/apis/apps/v1/deployments replicasets:/apis/apps/v1/replicasets
  statefulsets:/apis/apps/v1/statefulsets daemonsets:/apis/apps/v1/daemonsets
  jobs:/apis/batch/v1/jobs cronjobs:/apis/batch/v1/cronjobs
  ingresses:/apis/networking.k8s.io/v1/ingresses networkpolicies:/apis/networking.k8s.io/v1/networkpolicies
  roles:/apis/rbac.authorization.k8s.io/v1/roles rolebindings:/apis/rbac.authorization.k8s.io/v1/rolebindings
  clusterroles:/apis/rbac.authorization.k8s.io/v1/clusterroles
  clusterrolebindings:/apis/rbac.authorization.k8s.io/v1/clusterrolebindings
  hardeningbaselines:/apis/palisade.dev/v1alpha1/hardeningbaselines
)

# Lists one kind in pages of 500 (the page size of kube-runtime's and client-go's reflectors) and
# prints the requests' own time (the sum of curl's time_total: TLS set-up and transfer included,
# process start-up not). With "count" as a second argument, prints "seconds items bytes".
list_kind() {
  local path="$1" count="${2:-}" page="$work/page.$BASHPID" token="" seconds=0 items=0 bytes=0 url took
  while :; do
    url="$api$path?limit=500"
    [[ -n "$token" ]] && url+="&continue=$token"
    took="$(curl_api -o "$page" -w '%{time_total}' "$url")"
    seconds="$(awk -v a="$seconds" -v b="$took" 'BEGIN { printf "%.6f", a + b }')"
    if [[ -n "$count" ]]; then
      items=$((items + $(jq '.items | length' "$page")))
      bytes=$((bytes + $(stat -c %s "$page")))
    fi
    # The token sits in the list's metadata, before the items; it is URL-safe base64.
    token="$(head -c 4096 "$page" | grep -o '"continue": *"[^"]*"' | cut -d'"' -f4 || true)"
    [[ -n "$token" ]] || break
  done
  if [[ -n "$count" ]]; then echo "$seconds $items $bytes"; else echo "$seconds"; fi
}

log "measuring the LIST floor (median of 3)"
for entry in "${kinds[@]}"; do
  echo "${entry%%:*} $(list_kind "${entry#*:}" count)"
done > "$work/kinds.txt"
: > "$work/floor.txt"
for round in 1 2 3; do
  # One kind after another: the API server's own time, and the wall time of this client...
  started="$(now_ns)"
  for entry in "${kinds[@]}"; do
    echo "$round ${entry%%:*} $(list_kind "${entry#*:}")" >> "$work/floor.txt"
  done
  seconds_since "$started" >> "$work/floor-wall.txt"
  # ...all kinds at once, as the operator's reflectors start...
  started="$(now_ns)"
  for entry in "${kinds[@]}"; do list_kind "${entry#*:}" > /dev/null & done
  wait
  seconds_since "$started" >> "$work/floor-parallel.txt"
  # ...and kubectl, decoding and printing everything (in its own chunks of 500).
  started="$(now_ns)"
  kubectl get "$(printf '%s\n' "${kinds[@]%%:*}" | paste -sd,)" -A -o json > /dev/null
  seconds_since "$started" >> "$work/floor-kubectl.txt"
done
floor="$(awk '{ total[$1] += $3 } END { for (round in total) print total[round] }' "$work/floor.txt" | median)"
floor_wall="$(median < "$work/floor-wall.txt")"
floor_parallel="$(median < "$work/floor-parallel.txt")"
floor_kubectl="$(median < "$work/floor-kubectl.txt")"
floor_kinds="$(while read -r kind _ items bytes; do
  seconds="$(awk -v kind="$kind" '$2 == kind { print $3 }' "$work/floor.txt" | median)"
  jq -n --arg kind "$kind" --argjson items "$items" --argjson bytes "$bytes" --argjson seconds "$seconds" \
    '{kind: $kind, items: $items, bytes: $bytes, seconds: $seconds}'
done < "$work/kinds.txt" | jq -s .)"
log "floor: ${floor}s of requests (${floor_wall}s wall) one kind after another, ${floor_parallel}s all at once, ${floor_kubectl}s with kubectl"

# --- the operator ---------------------------------------------------------------------------
metric() { # name: sum of every series of that metric, empty when the endpoint does not answer.
  # A family without series yet reads 0: prometheus-client leaves it out of the exposition
  # altogether, TYPE line included (a restart that writes nothing has no write counter).
  local exposition
  exposition="$(curl -s --max-time 5 "http://$listen/metrics" || true)"
  [[ -n "$exposition" ]] || return 0
  awk -v name="$1" '$1 == name || index($1, name "{") == 1 { sum += $2 } END { print sum + 0 }' <<<"$exposition"
}
reported_namespaces() { # namespaces holding a PostureReport named posture (metadata only: small)
  curl_api -H 'Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1' \
    "$api/apis/palisade.dev/v1alpha1/posturereports" |
    jq '[.items[] | select(.metadata.name == "posture") | .metadata.namespace] | unique | length'
}
status_kib() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$operator_pid/status" 2>/dev/null || true; }
cpu_seconds() { # pid: the user and system CPU seconds it has used (0 when it is gone)
  awk -v ticks="$(getconf CLK_TCK)" '{ printf "%.1f\n", ($14 + $15) / ticks }' "/proc/$1/stat" 2>/dev/null || echo 0
}
component_cpu() { cpu_seconds "$(cat "$PALISADE_CP_DIR/$1.pid")"; }

start_operator() { # log file; sets operator_pid, operator_log, started and the control plane's CPU then
  started="$(now_ns)"
  apiserver_cpu_at_start="$(component_cpu kube-apiserver)" etcd_cpu_at_start="$(component_cpu etcd)"
  operator_log="$1"
  "$palisade" operator --listen "$listen" --lease-namespace default --identity bench > "$operator_log" 2>&1 &
  operator_pid=$!
}
stop_operator() {
  [[ -n "$operator_pid" ]] || return 0
  kill "$operator_pid" 2>/dev/null || true
  wait "$operator_pid" 2>/dev/null || true
  operator_pid=""
}
# Converged: every namespace has its report, nothing is pending, and the write counter has not
# moved for 3 s; sets converged to when that quiet stretch began (empty: not within the timeout).
converge_timeout=$((300 + size / 20))
await_convergence() {
  converged="" quiet_since="" last_writes="" reports=0 pending="" writes=""
  while :; do
    kill -0 "$operator_pid" 2>/dev/null || { tail -n 20 "$operator_log" >&2; log "the operator exited"; exit 1; }
    pending="$(metric palisade_pending_namespaces)"
    writes="$(metric palisade_report_writes_total)"
    if [[ -n "$writes" && "$writes" != "$last_writes" ]]; then last_writes="$writes" quiet_since=""; fi
    if [[ "$pending" == 0 && -n "$writes" ]]; then
      reports="$(reported_namespaces || echo 0)"
      if (( reports >= namespaces_total )); then
        [[ -n "$quiet_since" ]] || quiet_since="$(seconds_since "$started")"
        if awk -v since="$quiet_since" -v now="$(seconds_since "$started")" 'BEGIN { exit !(now - since >= 3) }'; then
          converged="$quiet_since"; break
        fi
      else
        quiet_since=""
      fi
    fi
    if (( $(date +%s) - started / 1000000000 > converge_timeout )); then
      log "not converged after ${converge_timeout}s (pending=$pending, writes=$writes, reports=$reports/$namespaces_total)"
      break
    fi
    sleep 0.5
  done
}

operator_json='{"ran": false, "reason": "SKIP_OPERATOR=1"}'
if [[ "${SKIP_OPERATOR:-}" != 1 ]]; then
  if ! "$palisade" operator --help > /dev/null 2>&1; then
    operator_json='{"ran": false, "reason": "this palisade has no operator subcommand"}'
    log "palisade has no operator subcommand yet; stopping after the floor"
  else
    profile_pid=""
    if [[ "$apiserver_profile" != 0 ]]; then
      profile_seconds=$(( size / 500 < 5 ? 5 : (size / 500 > 60 ? 60 : size / 500) ))
      curl_api -o "$work/apiserver.pprof" "$api/debug/pprof/profile?seconds=$profile_seconds" &
      profile_pid=$!
    fi
    log "starting the operator"
    start_operator "$work/operator.log"
    await_convergence
    peak_at_converge_kib="$(status_kib VmHWM)"
    # Where the CPU went until convergence was seen (3 s of quiet included): what the operator's
    # own work costs beside what its reads and writes cost the API server and etcd.
    cpu_converge="$(jq -n --argjson operator "$(cpu_seconds "$operator_pid")" \
      --argjson apiserver "$(awk -v now="$(component_cpu kube-apiserver)" -v then="$apiserver_cpu_at_start" 'BEGIN { printf "%.1f", now - then }')" \
      --argjson etcd "$(awk -v now="$(component_cpu etcd)" -v then="$etcd_cpu_at_start" 'BEGIN { printf "%.1f", now - then }')" \
      '{operator: $operator, kube_apiserver: $apiserver, etcd: $etcd}')"
    writes_converged="$(metric palisade_report_writes_total)"
    log "converged after ${converged:-never}s; ${steady_seconds} s of steady state"
    requests_converged="$(metric palisade_api_responses_total)"
    sleep $((steady_seconds / 2))
    steady_rss_kib="$(status_kib VmRSS)"
    sleep $((steady_seconds - steady_seconds / 2))
    writes_steady="$(metric palisade_report_writes_total)"
    requests_steady="$(metric palisade_api_responses_total)"
    echo null > "$work/apiserver-profile.json"
    if [[ -n "$profile_pid" ]] && wait "$profile_pid"; then
      python3 bench/apiserver-profile.py "$work/apiserver.pprof" > "$work/apiserver-profile.json" \
        || { log "reading the API server's profile failed"; echo null > "$work/apiserver-profile.json"; }
    fi
    # How much of the convergence was reading: the caches synced (the operator's log) after start.
    synced_at="$(jq -r 'select(.message == "every cache synced; evaluation starts") | .timestamp' "$work/operator.log" | head -1)"
    synced_seconds="$(awk -v start="$started" -v at="$(date -d "$synced_at" +%s%N)" 'BEGIN { printf "%.3f\n", (at - start) / 1e9 }')"

    # What Palisade stores, as the API server serves it (JSON, as etcd keeps custom resources).
    stored="$(curl_api "$api/apis/palisade.dev/v1alpha1/posturereports" \
      | jq '[.items[] | tojson | length] | {reports: length, bytes: add, largest: max}')"
    stored_cluster="$(curl_api "$api/apis/palisade.dev/v1alpha1/clusterposturereports" | jq '[.items[] | tojson | length] | add // 0')"

    log "change latency: $latency_lanes namespaces per kind, $latency_rounds changes each"
    python3 bench/latency.py --lanes "$latency_lanes" --rounds "$latency_rounds" > "$work/latency.json"
    # latency.py deletes its namespaces as it ends; the restart is measured once they are gone, on
    # the cluster the first start saw (a namespace still terminating is due until it goes).
    lanes_started="$(now_ns)"
    while curl_api "$api/api/v1/namespaces" | jq -e '[.items[].metadata.name | select(startswith("lat-"))] | length > 0' > /dev/null; do
      (( $(date +%s) - lanes_started / 1000000000 > 300 )) && { log "latency namespaces still terminating after 300 s"; break; }
      sleep 1
    done

    # A restart with every report in place (the usual start: an upgrade, a rescheduled pod): time
    # until every namespace was evaluated and nothing is pending, and the writes that took.
    peak_kib="$(status_kib VmHWM)"
    log "restarting the operator with its reports in place"
    stop_operator
    start_operator "$work/operator-restart.log"
    restart_seconds=""
    while (( $(date +%s) - started / 1000000000 < converge_timeout )); do
      evaluated="$(metric palisade_evaluation_duration_seconds_count)"
      if [[ -n "$evaluated" ]] && (( ${evaluated%.*} >= namespaces_total )) && [[ "$(metric palisade_pending_namespaces)" == 0 ]]; then
        restart_seconds="$(seconds_since "$started")"; break
      fi
      sleep 0.1
    done
    sleep 5
    restart_writes="$(metric palisade_report_writes_total)"
    log "restarted and evaluated everything in ${restart_seconds:-never}s with ${restart_writes:-?} writes"

    # The one-shot scan of the same cluster, for comparison with the operator's first convergence.
    # (It exits 1: the cluster has failing checks.)
    /usr/bin/time -f '%e %M' -o "$work/scan-time.txt" "$palisade" scan -o json > /dev/null 2>&1 || true
    read -r scan_seconds scan_peak_kib < <(tail -1 "$work/scan-time.txt")
    # What one report write costs the API server, by way of writing and by size (the reports are
    # in place; the operator is idle).
    if [[ "$write_cost_rounds" -gt 0 ]]; then
      log "measuring the API server's CPU per report write ($write_cost_rounds rounds)"
      python3 bench/report-write-cost.py --rounds "$write_cost_rounds" > "$work/write-cost.json"
    else
      echo null > "$work/write-cost.json"
    fi
    cache_objects="$(metric palisade_cache_objects)"
    log_errors="$(grep -c '"level":"ERROR"' "$work/operator.log" || true)"
    log_warnings="$(grep -c '"level":"WARN"' "$work/operator.log" || true)"
    operator_json="$(jq -n \
      --arg converged "$converged" --argjson timeout "$converge_timeout" \
      --argjson peak "${peak_kib:-0}" --argjson peak_converge "${peak_at_converge_kib:-0}" \
      --argjson steady "${steady_rss_kib:-0}" --arg writes_converged "${writes_converged:-}" \
      --arg writes_steady "${writes_steady:-}" --argjson reports "$reports" --arg cache_objects "${cache_objects:-}" \
      --argjson log_errors "$log_errors" --argjson log_warnings "$log_warnings" \
      --argjson steady_seconds "$steady_seconds" --arg requests_converged "${requests_converged:-}" \
      --arg requests_steady "${requests_steady:-}" --argjson stored "$stored" --argjson stored_cluster "$stored_cluster" \
      --argjson synced "$synced_seconds" --slurpfile latency "$work/latency.json" --argjson cpu "$cpu_converge" \
      --arg restart "${restart_seconds:-}" --arg restart_writes "${restart_writes:-}" \
      --argjson scan_seconds "$scan_seconds" --argjson scan_peak "$scan_peak_kib" \
      --slurpfile write_cost "$work/write-cost.json" --slurpfile apiserver_profile "$work/apiserver-profile.json" '{
        ran: true,
        converged: ($converged != ""),
        converge_seconds: (if $converged == "" then null else ($converged | tonumber) end),
        converge_timeout_seconds: $timeout,
        caches_synced_seconds: $synced,
        cpu_seconds_to_convergence: $cpu,
        restart_evaluated_seconds: (if $restart == "" then null else ($restart | tonumber) end),
        restart_writes: (if $restart_writes == "" then null else ($restart_writes | tonumber) end),
        change_latency: $latency[0],
        report_write_cost: $write_cost[0],
        apiserver_profile_first_start: $apiserver_profile[0],
        scan: {seconds: $scan_seconds, peak_rss_mib: ($scan_peak / 1024 | . * 10 | round / 10)},
        reports: $reports,
        peak_rss_mib: ($peak / 1024 | . * 10 | round / 10),
        peak_rss_at_convergence_mib: ($peak_converge / 1024 | . * 10 | round / 10),
        steady_rss_mib: ($steady / 1024 | . * 10 | round / 10),
        report_writes_at_convergence: (if $writes_converged == "" then null else ($writes_converged | tonumber) end),
        steady_state_seconds: $steady_seconds,
        steady_state_writes: (if $writes_steady == "" or $writes_converged == "" then null
          else ($writes_steady | tonumber) - ($writes_converged | tonumber) end),
        api_requests_at_convergence: (if $requests_converged == "" then null else ($requests_converged | tonumber) end),
        steady_state_api_requests: (if $requests_steady == "" or $requests_converged == "" then null
          else ($requests_steady | tonumber) - ($requests_converged | tonumber) end),
        stored: {posture_reports: $stored.reports, posture_report_bytes: $stored.bytes,
          largest_report_bytes: $stored.largest, cluster_report_bytes: $stored_cluster},
        cache_objects: (if $cache_objects == "" then null else ($cache_objects | tonumber) end),
        log_errors: $log_errors, log_warnings: $log_warnings
      }')"
  fi
fi

# --- the peer, on the same cluster once the operator is stopped ------------------------------
peer_json='{"ran": false}'
measure_peer() { # run number
  EXPECTED_PODS="$pods" bash bench/kyverno.sh measure "$work/peer-$1.json" >&2
}
if [[ "${PEER:-}" == kyverno ]]; then
  stop_operator
  measure_peer 1
  peer_json="$(jq '. + {ran: true}' "$work/peer-1.json")"
fi

# --- further first starts, alternating with the peer's -----------------------------------------
# Run 1 is the one above. Each further run removes every report first, so it starts as the first
# did: the operator from no PostureReport at all (baselines keep their status), Kyverno from no
# report of its own. Convergence time and peak RSS are then the medians over all runs.
if (( runs > 1 )) && [[ "$(jq -r .ran <<<"$operator_json")" == true ]]; then
  stop_operator
  jq -n --argjson seconds "$(jq '.converge_seconds' <<<"$operator_json")" \
    --argjson peak "$(jq '.peak_rss_at_convergence_mib' <<<"$operator_json")" \
    '{converge_seconds: $seconds, peak_rss_at_convergence_mib: $peak}' > "$work/operator-runs.jsonl"
  for ((run = 2; run <= runs; run++)); do
    log "run $run of $runs: the operator from no reports"
    kubectl delete posturereports.palisade.dev --all -A --wait=true > /dev/null
    kubectl delete clusterposturereports.palisade.dev --all --wait=true > /dev/null
    start_operator "$work/operator-run-$run.log"
    await_convergence
    log "run $run: converged after ${converged:-never}s"
    jq -n --arg converged "$converged" --argjson peak "$(status_kib VmHWM)" \
      '{converge_seconds: (if $converged == "" then null else ($converged | tonumber) end),
        peak_rss_at_convergence_mib: ($peak / 1024 | . * 10 | round / 10)}' >> "$work/operator-runs.jsonl"
    stop_operator
    if [[ "${PEER:-}" == kyverno ]]; then
      log "run $run of $runs: the peer from no reports"
      bash bench/kyverno.sh reset >&2
      measure_peer "$run"
    fi
  done
  # The upper median of each figure over the runs (a run that never converged counts as slowest).
  median='def median: sort_by(if . == null then infinite else . end) | .[length / 2 | floor];'
  operator_runs="$(jq -s "$median"'{runs: length, converge_seconds: (map(.converge_seconds) | median),
    peak_rss_at_convergence_mib: (map(.peak_rss_at_convergence_mib) | median), each: .}' "$work/operator-runs.jsonl")"
  operator_json="$(jq --argjson runs "$operator_runs" \
    '. + {first_start_runs: $runs, converge_seconds: $runs.converge_seconds, converged: ($runs.converge_seconds != null)}' \
    <<<"$operator_json")"
  if [[ "${PEER:-}" == kyverno ]]; then
    peer_runs="$(jq -s "$median"'map({converge_seconds, peak_rss_mib}) | {runs: length,
      converge_seconds: (map(.converge_seconds) | median), peak_rss_mib: (map(.peak_rss_mib) | median), each: .}' \
      "$work"/peer-*.json)"
    peer_json="$(jq --argjson runs "$peer_runs" \
      '. + {runs: $runs, converge_seconds: $runs.converge_seconds, peak_rss_mib: $runs.peak_rss_mib, converged: ($runs.converge_seconds != null)}' \
      <<<"$peer_json")"
  fi
fi

# --- results --------------------------------------------------------------------------------
mkdir -p bench/results
json="$(jq -n \
  --argjson size "$size" --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg commit "$commit" --argjson dirty "$dirty" \
  --argjson cores "$(nproc)" --arg cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
  --argjson memory_kib "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" \
  --arg kubernetes "$(awk '$1 == "k8s.io/kubernetes" { print $2 }' e2e/controlplane/go.mod)" \
  --argjson controlplane_start "$controlplane_start_seconds" \
  --slurpfile loadgen "$work/loadgen.json" --argjson jobs "$apply_jobs" --argjson apply "$apply_seconds" \
  --argjson apply_errors "$apply_errors" \
  --argjson pods "$pods" --argjson pods_listed "$pods_listed" --argjson pods_seconds "$pods_seconds" \
  --argjson namespaces "$namespaces_total" --argjson settle "$settle_seconds" \
  --argjson floor "$floor" --argjson floor_wall "$floor_wall" --argjson floor_parallel "$floor_parallel" \
  --argjson floor_kubectl "$floor_kubectl" --argjson floor_kinds "$floor_kinds" \
  --argjson operator "$operator_json" --argjson peer "$peer_json" '{
    size: $size, date: $date, commit: $commit, uncommitted_changes: $dirty,
    machine: {cores: $cores, cpu: $cpu, memory_gib: ($memory_kib / 1048576 | . * 10 | round / 10)},
    control_plane: {kubernetes: $kubernetes, start_seconds: $controlplane_start},
    load: ($loadgen[0] | {seed, namespaces, expected_pods, expected_pods_by_owner, pods_after_next_minute, objects, objects_total}),
    apply: {seconds: $apply, kubectl_processes: $jobs, errors: $apply_errors,
      objects_per_second: ($loadgen[0].objects_total / $apply | round)},
    pods: {counted: $pods, listed_by_kubectl: $pods_listed, seconds_after_apply_began: $pods_seconds,
      namespaces_in_cluster: $namespaces, settle_seconds: $settle},
    floor: {seconds: $floor, sequential_wall_seconds: $floor_wall, parallel_wall_seconds: $floor_parallel,
      kubectl_seconds: $floor_kubectl,
      method: "LIST of every watched kind in pages of 500 (curl, HTTPS, JSON), median of 3 rounds; seconds sums the requests of one kind after another (curl time_total); the wall times add this script (one curl process per page); parallel lists all kinds at once",
      kinds: $floor_kinds},
    operator: $operator,
    peer: $peer
  }')"
echo "$json" > "bench/results/operator-scale-$size.json"

{
  echo "## Operator at $size pods"
  echo
  echo "Measured by \`bash bench/operator-scale.sh $size\` on $(jq -r .date <<<"$json"), commit $commit$( [[ $dirty == true ]] && echo " (with uncommitted changes)"),"
  echo "$(nproc) cores ($(jq -r .machine.cpu <<<"$json")), $(jq -r .machine.memory_gib <<<"$json") GiB, local control plane"
  echo "(Kubernetes $(jq -r .control_plane.kubernetes <<<"$json"): etcd, kube-apiserver, kube-controller-manager; no nodes, so pods stay Pending)."
  echo
  echo "| Load | |"
  echo "|---|---|"
  jq -r '.load | "| namespaces | \(.namespaces) |", "| pods expected | \(.expected_pods) (\(.expected_pods_by_owner | to_entries | map("\(.key) \(.value)") | join(", "))) |",
    "| objects applied | \(.objects_total) (\(.objects | to_entries | map("\(.key) \(.value)") | join(", "))) |"' <<<"$json"
  jq -r '"| apply | \(.apply.seconds) s with \(.apply.kubectl_processes) kubectl apply --server-side processes (\(.apply.objects_per_second) objects/s) |",
    "| pods present | \(.pods.counted) (kubectl lists \(.pods.listed_by_kubectl)), \(.pods.seconds_after_apply_began) s after the apply began |"' <<<"$json"
  echo
  echo "| LIST floor (median of 3) | seconds |"
  echo "|---|---|"
  jq -r '.floor | "| **floor**: every kind, one after another, pages of 500: the requests themselves | **\(.seconds)** |",
    "| the same, wall time of this script (a curl process per page) | \(.sequential_wall_seconds) |",
    "| every kind at once, wall time | \(.parallel_wall_seconds) |",
    "| kubectl get <all kinds> -A -o json (decoding and printing included) | \(.kubectl_seconds) |"' <<<"$json"
  echo
  echo "| Kind | items | MiB | seconds |"
  echo "|---|---|---|---|"
  jq -r '.floor.kinds[] | "| \(.kind) | \(.items) | \(.bytes / 1048576 * 100 | round / 100) | \(.seconds) |"' <<<"$json"
  echo
  if [[ "$(jq -r .operator.ran <<<"$json")" == true ]]; then
    echo "| Operator | measured | target (DESIGN.md §6) |"
    echo "|---|---|---|"
    jq -r '.operator as $o | .floor.seconds as $f |
      "| converged (every namespace reported, nothing pending, writes quiet 3 s) | \($o.converge_seconds // "not within \($o.converge_timeout_seconds) s") s | ≤ 1.5 × floor = \($f * 1.5 * 100 | round / 100) s |",
      (if $o.first_start_runs then "| first starts, alternating with the peer'"'"'s (median above) | \($o.first_start_runs.each | map(.converge_seconds | tostring + " s") | join(", ")); peak RSS at convergence \($o.first_start_runs.each | map(.peak_rss_at_convergence_mib | tostring) | join(", ")) MiB | |" else empty end),
      "| of which reading: caches synced | \($o.caches_synced_seconds) s | |",
      "| restart with every report in place: every namespace evaluated, nothing pending | \($o.restart_evaluated_seconds // "never") s (\($o.restart_writes) writes) | ≤ \($f * 1.5 * 100 | round / 100) s |",
      "| `palisade scan` of the same cluster (one shot; peak RSS) | \($o.scan.seconds) s, \($o.scan.peak_rss_mib) MiB | |",
      "| peak RSS (VmHWM) | \($o.peak_rss_mib) MiB | ≤ 64 MiB |",
      "| steady RSS (VmRSS halfway through steady state) | \($o.steady_rss_mib) MiB | ≤ 64 MiB |",
      "| report writes until convergence | \($o.report_writes_at_convergence) | |",
      "| API requests until convergence (every attempt) | \($o.api_requests_at_convergence) | |",
      "| report writes in \($o.steady_state_seconds) s of steady state | \($o.steady_state_writes) | 0 |",
      "| API requests in \($o.steady_state_seconds) s of steady state (probe and lease) | \($o.steady_state_api_requests) | |",
      "| stored: \($o.stored.posture_reports) PostureReports + the ClusterPostureReport (JSON as served) | \(($o.stored.posture_report_bytes + $o.stored.cluster_report_bytes) / 1024 | round) KiB | |",
      "| largest PostureReport | \($o.stored.largest_report_bytes / 1024 | round) KiB | < 1.5 MiB (etcd request limit) |",
      "| objects in the index (palisade_cache_objects) | \($o.cache_objects) | |",
      "| log lines at ERROR / WARN | \($o.log_errors) / \($o.log_warnings) | |"' <<<"$json"
    echo
    jq -r '.operator.change_latency | "Change → report latency (`bench/latency.py`): \(.lanes) namespaces per kind changed \(.rounds) times each, all \(.lanes * 6) at once, \(.pause_s) s after each change was seen; debounce 1 s, target p99 ≤ 1.25 s.",
      "",
      "| change | samples | missed | p50 ms | p99 ms | max ms |",
      "|---|---|---|---|---|---|",
      (.kinds | to_entries[] | "| \(.key) | \(.value.samples) | \(.value.missed) | \(.value.p50_ms) | \(.value.p99_ms) | \(.value.max_ms) |")' <<<"$json"
    if [[ "$(jq -r '.operator.report_write_cost != null' <<<"$json")" == true ]]; then
      echo
      jq -r '.operator.report_write_cost | "What one PostureReport write costs the API server (`bench/report-write-cost.py`): the operator'"'"'s \(.reports) reports written again into copies of the CRD, API-server CPU (user + system) per report, median of \(.rounds) alternating rounds.",
        "",
        "| way of writing | status JSON (avg bytes) | API-server CPU ms per report | samples |",
        "|---|---|---|---|",
        (.ways | to_entries[] | "| \(.key) | \(.value.status_bytes_avg) | \(.value.apiserver_cpu_ms_per_report) | \(.value.samples_ms | map(tostring) | join(", ")) |")' <<<"$json"
    fi
    if [[ "$(jq -r '.operator.apiserver_profile_first_start != null' <<<"$json")" == true ]]; then
      echo
      jq -r '.operator.apiserver_profile_first_start | "Where the API server'"'"'s CPU went in the first \(.profile_seconds) s after the operator started (`bench/apiserver-profile.py`: a CPU profile of kube-apiserver, \(.cpu_seconds) CPU seconds sampled; a part counts the samples with its function on the stack, so parts nest and overlap):",
        "",
        "| part | CPU s | share |",
        "|---|---|---|",
        (.parts[] | "| \(.part | sub("^  "; "… ")) | \(.cpu_seconds) | \(.percent) % |")' <<<"$json"
    fi
  else
    echo "Operator not measured: $(jq -r .operator.reason <<<"$json")."
  fi
  if [[ "$(jq -r .peer.ran <<<"$json")" == true ]]; then
    echo
    echo "| Beside it, on the same cluster: $(jq -r .peer.peer <<<"$json") | Kyverno | Palisade |"
    echo "|---|---|---|"
    jq -r '.peer as $p | .operator as $o |
      "| time to every report (Kyverno: results unchanged for 30 s, timed from when they stopped moving) | \($p.converge_seconds // "not converged") s | \($o.converge_seconds) s |",
      "| peak RSS | \($p.peak_rss_mib) MiB | \($o.peak_rss_mib) MiB |",
      "| report objects | \($p.report_objects) | \($o.stored.posture_reports + 1) |",
      "| report bytes (JSON as served) | \($p.report_bytes / 1024 | round) KiB | \(($o.stored.posture_report_bytes + $o.stored.cluster_report_bytes) / 1024 | round) KiB |"' <<<"$json"
  fi
} > "bench/results/operator-scale-$size.md"
cat "bench/results/operator-scale-$size.md"
