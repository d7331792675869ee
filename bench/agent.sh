#!/usr/bin/env bash
# Prints the Linux collector's wall time and peak RSS on this machine (goal: ≤ 1 s and ≤ 30 MB), release
# build; with GNU time and fusioninventory-agent installed (`apt-get install time fusioninventory-agent`), the
# same figures for that agent's local inventory, side by side. Not a test.
# Usage: bash bench/agent.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p mamori-agent --example collect -- "${1:-10}"
if command -v fusioninventory-inventory >/dev/null && [ -x /usr/bin/time ]; then
  out=$(mktemp -d)
  /usr/bin/time -f "fusioninventory-inventory: %e s wall, peak RSS %M kB" \
    fusioninventory-inventory --no-category=printer,software >/dev/null 2>"$out/err" || true
  grep fusioninventory-inventory "$out/err" || tail -3 "$out/err"
  /usr/bin/time -f "fusioninventory-inventory (with software): %e s wall, peak RSS %M kB" \
    fusioninventory-inventory >/dev/null 2>"$out/err2" || true
  grep fusioninventory-inventory "$out/err2" || tail -3 "$out/err2"
else
  echo "fusioninventory-agent or GNU time not installed: no reference figures"
fi
