#!/usr/bin/env bash
# Issue 35's load run: 20 concurrent 100,000-row imports and 8 large log uploads while a dashboard is timed
# every second; prints the dashboard's p95 and the peak RSS (release build, real HTTP on localhost).
# Not a test. Usage: bash bench/load.sh    PROFILE=release-zip bash bench/load.sh (as the zips are built)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --profile "${PROFILE:-release}" -q -p mamori-web --example load
