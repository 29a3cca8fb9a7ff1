#!/usr/bin/env bash
# Per-pod evaluation cost of the whole catalog, on one core. Writes bench/results/eval-pod.md.
#
# Usage: bash bench/eval-pod.sh
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
cargo build --locked --release -q -p palisade-bench --bin eval_pod
pin=()
command -v taskset >/dev/null && pin=(taskset -c 1)
output="$("${pin[@]}" target/release/eval_pod)"
mkdir -p bench/results
{
  echo "# Evaluating a typical pod against the whole catalog"
  echo
  echo "Measured by \`bash bench/eval-pod.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), one core"
  echo "(\`taskset -c 1\`), release build, each figure the median of 5 rounds. The pod (\`bench/src/lib.rs\`) is a Deployment replica with"
  echo "two containers, probes, env from a secret and a ConfigMap, three volumes and a partial security"
  echo "context; the restricted profile enables every check but the content checks."
  echo
  echo '```'
  echo "$output"
  echo '```'
} > bench/results/eval-pod.md
cat bench/results/eval-pod.md
