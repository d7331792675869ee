#!/usr/bin/env bash
# Log analysis speed on this machine (release build): records/s, MB/s and peak RSS of `mamori logs
# analyze` on the shared EVTX samples (each read REPEAT times), beside `evtx_dump -o jsonl` on the same
# files in the same script; on a generated auth log (the OpenSSH sample repeated to 1,000,000 lines) and a
# generated 1,000,000-row CP932 access-log CSV. Goals (issue 8): the full analysis at ≥ 0.8× evtx_dump's
# speed, ≥ 5 million CSV rows per minute. Needs ../shared/data and GNU time; evtx_dump from
# `cargo install evtx` for the ratio. Not a test.
# Usage: bash bench/logs.sh [REPEAT]
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=${1:-20}
shared=../shared/data
[ -d "$shared/evtx" ] || { echo "../shared/data is not here: nothing to measure"; exit 0; }
cargo build --release -q -p mamori
bin=target/release/mamori
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }

# EVTX: the samples REPEAT times (one process, all files given REPEAT times over).
files=()
for _ in $(seq "$repeat"); do files+=("$shared"/evtx/*.evtx); done
bytes=$(( $(cat "$shared"/evtx/*.evtx | wc -c) * repeat ))
/usr/bin/time -f "%e %M" -o "$tmp/t" "$bin" logs analyze --format json "${files[@]}" >"$tmp/evtx.json"
read -r secs kb <"$tmp/t"
records=$(python3 -c "import json,sys; print(sum(f['records'] for f in json.load(open('$tmp/evtx.json'))['files']))")
awk -v r="$records" -v s="$secs" -v b="$bytes" -v k="$kb" 'BEGIN { printf "EVTX: %d records in %.2f s: %.0f records/s, %.1f MB/s, peak RSS %.0f MB\n", r, s, r / (s > 0 ? s : 0.01), b / 1e6 / (s > 0 ? s : 0.01), k / 1024 }'
if command -v evtx_dump >/dev/null; then
  start=$(now)
  for f in "${files[@]}"; do evtx_dump -o jsonl "$f" >/dev/null; done
  dump=$(awk -v a="$(now)" -v b="$start" 'BEGIN { print a - b }')
  awk -v s="$secs" -v d="$dump" 'BEGIN { printf "evtx_dump -o jsonl on the same files: %.2f s; Mamori runs at %.2f× evtx_dump'"'"'s speed (goal ≥ 0.8)\n", d, d / s }'
else
  echo "evtx_dump not installed (cargo install evtx): no ratio"
fi

# Auth log: 1,000,000 lines.
python3 - "$shared/syslog/OpenSSH_2k.log" "$tmp/auth.log" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines(True)
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for i in range(1_000_000):
        out.write(lines[i % len(lines)])
PY
/usr/bin/time -f "%e %M" -o "$tmp/t" "$bin" logs analyze --format json --year 2015 "$tmp/auth.log" >/dev/null
read -r secs kb <"$tmp/t"
size=$(stat -c %s "$tmp/auth.log")
awk -v s="$secs" -v b="$size" -v k="$kb" 'BEGIN { printf "auth log: 1000000 lines in %.2f s: %.0f lines/s, %.1f MB/s, peak RSS %.0f MB\n", s, 1e6 / s, b / 1e6 / s, k / 1024 }'

# EHR CSV: 1,000,000 rows in CP932, 200 users, 20,000 patients, a working week.
python3 - "$tmp/ehr.csv" <<'PY'
import sys, random
random.seed(7)
with open(sys.argv[1], "w", encoding="cp932", newline="") as out:
    out.write("ユーザID,氏名,アクセス日時,区分,操作内容,患者ID,端末名\r\n")
    for i in range(1_000_000):
        day = 2 + (i * 5 // 1_000_000)
        sec = 8 * 3600 + (i * 37) % (10 * 3600)
        out.write(f"u{i % 200:03d},職員{i % 200},2025/06/{day:02d} {sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d},カルテ,参照,P{random.randrange(20000):05d},診察室{i % 7}\r\n")
PY
/usr/bin/time -f "%e %M" -o "$tmp/t" "$bin" logs analyze --format json "$tmp/ehr.csv" >"$tmp/ehr.json"
read -r secs kb <"$tmp/t"
size=$(stat -c %s "$tmp/ehr.csv")
awk -v s="$secs" -v b="$size" -v k="$kb" 'BEGIN { printf "EHR CSV (CP932): 1000000 rows in %.2f s: %.1f million rows/min (goal ≥ 5), %.1f MB/s, peak RSS %.0f MB\n", s, 60 / s, b / 1e6 / s, k / 1024 }'
