#!/usr/bin/env bash
# Prints the inspection pack's render time (p50/max) and size for a facility with 500 devices and 5 vendors
# (issue 6's goal: under 2 s), release build. Not a test.
# Usage: bash bench/pack.sh [RUNS] [DEVICES]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p mamori-web --example pack -- "${1:-10}" "${2:-500}"
