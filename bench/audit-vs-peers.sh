#!/usr/bin/env bash
# Offline audit of 10,000 mixed manifests: Palisade side by side with kube-score (installed from
# the Go module proxy), in one run on this machine, on every core and on one core
# (`taskset -c 0`). Runs alternate between the tools (palisade, kube-score, palisade, …) so both
# see the same machine state; the figures are medians. Then the growth of Palisade's peak memory
# with input: one `List` of N pods for several N. Writes bench/results/audit-vs-peers.md.
#
# Usage: bash bench/audit-vs-peers.sh [COUNT] [RUNS]
# CHECKOV=1 also runs Checkov (PyPI) on the first 5% of the files (it needs minutes for that).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
count="${1:-10000}"
runs="${2:-7}"
peers="${PALISADE_PEERS_DIR:-$HOME/.cache/palisade/peers}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$repo"

echo "building palisade and the corpus generator (release)" >&2
cargo build --locked --release -q -p palisade -p palisade-bench
"$repo/target/release/gen_manifests" "$work/manifests" "$count" >&2

mkdir -p "$peers/bin"
if [[ ! -x "$peers/bin/kube-score" ]]; then
  echo "installing kube-score (go install)" >&2
  GOBIN="$peers/bin" go install github.com/zegl/kube-score/cmd/kube-score@v1.20.0
fi
files=("$work"/manifests/*.yaml)
palisade=("$repo/target/release/palisade" audit -f "$work/manifests" -o json)
kube_score=("$peers/bin/kube-score" score --output-format ci "${files[@]}")

# Runs a command once under GNU time; appends "seconds rss_kib" to the file named first. Linters
# exit non-zero when they find problems, which is expected here.
sample() {
  local into="$1"; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out" 2> /dev/null || true
  tail -n 1 "$work/time" >> "$into"
}

median() { # column of a samples file
  sort -n -k "$2" "$1" | awk -v column="$2" '{ values[NR] = $column } END {
    if (NR % 2) print values[(NR + 1) / 2]; else printf "%.2f\n", (values[NR / 2] + values[NR / 2 + 1]) / 2 }'
}

# Alternates the two tools RUNS times with the given CPU pinning prefix; prints a table row pair.
side_by_side() {
  local label="$1"; shift
  local pin=("$@")
  : > "$work/palisade.$label"; : > "$work/kube-score.$label"
  for ((run = 0; run < runs; run++)); do
    sample "$work/palisade.$label" "${pin[@]}" "${palisade[@]}"
    sample "$work/kube-score.$label" "${pin[@]}" "${kube_score[@]}"
  done
  local ours theirs
  ours="$(median "$work/palisade.$label" 1)"
  theirs="$(median "$work/kube-score.$label" 1)"
  printf '| %s | palisade audit -o json | %s | %s | %s |\n' "$label" "$ours" \
    "$(( $(median "$work/palisade.$label" 2 | cut -d. -f1) / 1024 ))" "$(echo "scale=1; $theirs / $ours" | bc)×"
  printf '| %s | kube-score v1.20.0 | %s | %s | 1× |\n' "$label" "$theirs" \
    "$(( $(median "$work/kube-score.$label" 2 | cut -d. -f1) / 1024 ))"
}

{
  echo "# Offline audit of $count manifests, side by side"
  echo
  echo "Measured by \`bash bench/audit-vs-peers.sh $count $runs\` on $(date -u +%Y-%m-%d) at commit"
  echo "$(git rev-parse --short HEAD), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(uname -m)."
  echo "Corpus: \`gen_manifests\` ($count manifests in ${#files[@]} files, $(du -sh "$work/manifests" | cut -f1): workloads"
  echo "with seeded pod templates, Services, ConfigMaps, Secrets, ServiceAccounts, Roles, RoleBindings,"
  echo "NetworkPolicies, Namespaces). $runs runs per tool and setting, alternating palisade and kube-score;"
  echo "medians of wall time and of peak RSS (GNU time)."
  echo
  echo "| cores | tool | median wall time (s) | median peak RSS (MiB) | speed vs kube-score |"
  echo "|---|---|---|---|---|"
  side_by_side "all ($(nproc))"
  side_by_side "1 (taskset -c 0)" taskset -c 0
  echo
  echo "## Peak memory against input size"
  echo
  echo "One \`List\` document of N pods (\`gen_manifests --list\`), read from one file; median of 3 runs."
  echo
  echo "| pods in the List | file size | median wall time (s) | median peak RSS (MiB) |"
  echo "|---|---|---|---|"
  for pods in 10000 50000 100000; do
    "$repo/target/release/gen_manifests" --list "$work/list-$pods.yaml" "$pods" >&2
    : > "$work/list.$pods"
    for ((run = 0; run < 3; run++)); do
      sample "$work/list.$pods" "$repo/target/release/palisade" audit -f "$work/list-$pods.yaml" -o json
    done
    printf '| %s | %s | %s | %s |\n' "$pods" "$(du -h "$work/list-$pods.yaml" | cut -f1)" \
      "$(median "$work/list.$pods" 1)" "$(( $(median "$work/list.$pods" 2 | cut -d. -f1) / 1024 ))"
    rm -f "$work/list-$pods.yaml"
  done
  if [[ "${CHECKOV:-0}" == 1 ]]; then
    if [[ ! -x "$peers/checkov/bin/checkov" ]]; then
      python3 -m venv "$peers/checkov"
      "$peers/checkov/bin/pip" install -q checkov==3.3.30
    fi
    mkdir -p "$work/sample"
    cp "${files[@]:0:$(( (${#files[@]} + 19) / 20 ))}" "$work/sample/"
    : > "$work/checkov"
    sample "$work/checkov" "$peers/checkov/bin/checkov" -d "$work/sample" --framework kubernetes --quiet --compact -o json
    echo
    echo "Checkov 3.3.30 on the first 5% of the files: $(cut -d' ' -f1 "$work/checkov") s, $(( $(cut -d' ' -f2 "$work/checkov") / 1024 )) MiB."
  fi
} | tee "$work/report.md"
mkdir -p bench/results
cp "$work/report.md" bench/results/audit-vs-peers.md
