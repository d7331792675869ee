#!/usr/bin/env bash
# Prints p50/p95 of the ledger list pages and of the evidence for one facility at the sizes of issue 5
# (20,000 devices with 200,000 software entries, 50,000 accounts), release build. Not a test.
# Usage: bash bench/ledgers.sh [REQUESTS] [DEVICES] [ACCOUNTS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p mamori-web --example latency -- "${1:-50}" "${2:-20000}" "${3:-50000}"
