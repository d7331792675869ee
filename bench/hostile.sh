#!/usr/bin/env bash
# Issue 23: each hostile workbook at full size (the 2 KB declared-count file, one 1 MiB string in 1,500
# cells, over a gigabyte of XML in a small zip, 100,000-deep XML, …) through the guard and the ledger
# reader, one process per case: bytes of the file, ms of the guard, ms of the whole read (guard included),
# and peak RSS (GNU time). Every case must be refused; memory stays far below the 512 MB fuzz limit.
# Then the concurrent-import test at 1,000,000 rows on a release build (answer saves and /healthz during
# the import). Not a test. Usage: bash bench/hostile.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
cargo build --release -q -p mamori-ledger --example hostile
bin=target/release/examples/hostile
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-24s %10s %9s %9s  %s\n' case bytes guard_ms read_ms message
for c in $("$bin" list); do
  "$bin" write "$c" "$tmp/$c.xlsx"
  line=$(/usr/bin/time -f "%M" -o "$tmp/rss" "$bin" read "$tmp/$c.xlsx")
  rm -f "$tmp/$c.xlsx"
  printf '%-24s %s  (peak RSS %.0f MB)\n' "$c" "$line" "$(awk '{ print $1 / 1024 }' "$tmp/rss")"
done
echo
echo "Concurrent import of $rows rows (release; the process also holds the CSV and reads every row back to check):"
MAMORI_TEST_IMPORT_ROWS=$rows /usr/bin/time -f "peak RSS of the test process: %M KB, wall %e s" \
  cargo test --release -q -p mamori-web --test it hostile::answers -- --nocapture 2>&1 |
  grep -E "import of|peak RSS|panicked|FAILED"
