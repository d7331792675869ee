#!/usr/bin/env bash
# Prints the Linux collector's wall time and peak RSS on this machine (goal: ≤ 1 s and ≤ 30 MB), release
# build: in process (the collector alone, RUNS times) and as the standalone `mamori-agent collect` process
# (start-up and JSON writing included). With GNU time and fusioninventory-agent installed
# (`apt-get install time fusioninventory-agent`), the same figures for that agent's local inventory, side
# by side, and the ratios. Not a test.
# Usage: bash bench/agent.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p mamori-agent --example collect -- "${1:-10}"
cargo build --release -q -p mamori-agent --bin mamori-agent
if [ ! -x /usr/bin/time ]; then
  echo "GNU time not installed: no whole-process figures"
  exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
/usr/bin/time -f "%e %M" -o "$out/ours" target/release/mamori-agent collect --out "$out/inv.json" >/dev/null
read -r our_s our_kb <"$out/ours"
echo "mamori-agent collect (whole process): ${our_s} s wall, peak RSS $((our_kb / 1024)) MB, $(stat -c %s "$out/inv.json") bytes of JSON"
if command -v fusioninventory-inventory >/dev/null; then
  /usr/bin/time -f "%e %M" -o "$out/fi" fusioninventory-inventory >/dev/null 2>"$out/fi.err" || true
  read -r fi_s fi_kb < <(tail -1 "$out/fi")
  echo "fusioninventory-inventory (with software): ${fi_s} s wall, peak RSS $((fi_kb / 1024)) MB"
  awk -v a="$our_s" -v b="$fi_s" -v c="$our_kb" -v d="$fi_kb" \
    'BEGIN { printf "ratio: mamori-agent takes %.3f× the time and %.3f× the memory of fusioninventory-inventory\n", (a > 0 ? a : 0.001) / b, c / d }'
else
  echo "fusioninventory-agent not installed: no reference figures"
fi
