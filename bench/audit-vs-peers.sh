#!/usr/bin/env bash
# Offline audit of 10,000 mixed manifests: Palisade side by side with peer tools installed from
# their registries (kube-score from the Go module proxy, Checkov from PyPI), in one run on this
# machine. Writes bench/results/audit-vs-peers.md.
#
# Usage: bash bench/audit-vs-peers.sh [COUNT]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
count="${1:-10000}"
peers="${PALISADE_PEERS_DIR:-$HOME/.cache/palisade/peers}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$repo"

echo "building palisade and the corpus generator (release)" >&2
cargo build --locked --release -q -p palisade -p palisade-bench
"$repo/target/release/gen_manifests" "$work/manifests" "$count"

mkdir -p "$peers/bin"
if [[ ! -x "$peers/bin/kube-score" ]]; then
  echo "installing kube-score (go install)" >&2
  GOBIN="$peers/bin" go install github.com/zegl/kube-score/cmd/kube-score@v1.20.0
fi
if [[ ! -x "$peers/checkov/bin/checkov" ]]; then
  echo "installing checkov (pip)" >&2
  python3 -m venv "$peers/checkov"
  "$peers/checkov/bin/pip" install -q checkov==3.3.30
fi

# Runs one tool over the corpus RUNS times and reports the fastest run: wall seconds and peak
# RSS from GNU time. Linters exit non-zero when they find problems, which is expected here.
measure() {
  local name="$1" runs="$2"; shift 2
  local best="" best_rss=0 status=0 stats="$work/time"
  for ((run = 0; run < runs; run++)); do
    status=0
    /usr/bin/time -f "%e %M" -o "$stats" "$@" > "$work/out" 2> "$work/err" || status=$?
    # GNU time prefixes a "Command exited with non-zero status" line; the numbers are last.
    read -r seconds rss_kb < <(tail -n 1 "$stats")
    if [[ -z "$best" ]] || (( $(echo "$seconds < $best" | bc) )); then
      best="$seconds" best_rss="$rss_kb"
    fi
  done
  printf '| %s | %s | %s | %d | %d | %s bytes |\n' "$name" "$runs" "$best" "$((best_rss / 1024))" "$status" \
    "$(wc -c < "$work/out")"
}

files=("$work"/manifests/*.yaml)
{
  echo "# Offline audit of $count manifests, side by side"
  echo
  echo "Measured by \`bash bench/audit-vs-peers.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m)."
  echo "Corpus: \`gen_manifests\` ($count manifests in ${#files[@]} files: workloads with seeded pod templates,"
  echo "Services, ConfigMaps, Secrets, ServiceAccounts, Roles, RoleBindings, NetworkPolicies, Namespaces)."
  echo
  echo "| tool | runs | best wall time (s) | peak RSS (MiB) | exit code | output |"
  echo "|---|---|---|---|---|---|"
  measure "palisade audit -o json" 5 "$repo/target/release/palisade" audit -f "$work/manifests" -o json
  measure "palisade audit -o sarif" 5 "$repo/target/release/palisade" audit -f "$work/manifests" -o sarif
  measure "kube-score v1.20.0" 3 \
    "$peers/bin/kube-score" score --output-format ci "${files[@]}"
  # Checkov is slow on large corpora: it also runs on the first 5% of the files (a rate that
  # completes), and its full run is stopped at the time limit (exit code 124).
  mkdir -p "$work/sample"
  cp "${files[@]:0:$(( (${#files[@]} + 19) / 20 ))}" "$work/sample/"
  measure "checkov, first 5% of the files ($(cat "$work"/sample/*.yaml | grep -c '^---') manifests)" 1 \
    "$peers/checkov/bin/checkov" -d "$work/sample" --framework kubernetes --quiet --compact -o json
  measure "checkov $("$peers/checkov/bin/checkov" --version 2>/dev/null)" 1 \
    timeout "${CHECKOV_TIMEOUT:-3600}" "$peers/checkov/bin/checkov" -d "$work/manifests" --framework kubernetes \
    --quiet --compact -o json
} | tee "$work/report.md"
mkdir -p bench/results
cp "$work/report.md" bench/results/audit-vs-peers.md
