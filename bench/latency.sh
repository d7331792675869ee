#!/usr/bin/env bash
# Prints p50/p95 latency of the checklist page and the xlsx export, and with seeded ledgers the dashboard,
# reminders, report, new-year, BCP and ledger pages (release build). Not a test.
# Usage: bash bench/latency.sh [REQUESTS] [DEVICES] [ACCOUNTS]   (e.g. 50 20000 5000)
#        PROFILE=release-zip bash bench/latency.sh …   (as the release zips are optimised)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --profile "${PROFILE:-release}" -q -p mamori-web --example latency -- "${1:-300}" "${2:-0}" "${3:-0}"
