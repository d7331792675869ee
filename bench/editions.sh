#!/usr/bin/env bash
# Prints the time to read a checklist edition from a workbook (layout recognition included) beside
# calamine reading the same sheet's cells and merged regions (the floor), and the time to fill the
# workbook with answers; for R7 and for a synthetic form of ITEMS items, in the four sample layouts.
# Release build. Not a test.
# Usage: bash bench/editions.sh [RUNS] [ITEMS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p mamori-report --example edition_bench -- "${1:-50}" "${2:-400}"
