#!/usr/bin/env bash
# Prints p50/p95 latency of the checklist page and the xlsx export (release build). Not a test.
# Usage: bash bench/latency.sh [REQUESTS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p mamori-web --example latency -- "${1:-300}"
