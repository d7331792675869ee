#!/usr/bin/env bash
# Log analysis speed on this machine (release build): records/s, MB/s and peak RSS of `mamori logs
# analyze` on large EVTX files built from the shared samples' chunks (SIZES, default 64, 256 and 1024 MB),
# beside `evtx_dump -o jsonl` on the same file; on a generated auth log (the OpenSSH sample repeated to
# 1,000,000 lines) and a generated 1,000,000-row CP932 access-log CSV. Goals (issue 16): the full analysis
# at ≥ 1.0× evtx_dump's speed with peak RSS ≤ 64 MB at 1 GB; ≥ 1,000,000 CSV rows/s. Needs
# ../shared/data and GNU time; evtx_dump from `cargo install evtx` for the ratio. Not a test.
# Usage: SIZES="64 256" bash bench/logs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared/data
[ -d "$shared/evtx" ] || { echo "../shared/data is not here: nothing to measure"; exit 0; }
cargo build --release -q -p mamori
bin=target/release/mamori
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }

# EVTX: large Security logs made of the samples' chunks (each chunk is self-contained, so copying whole
# chunks after one file header gives a valid file), at SIZES megabytes; one process each for Mamori and
# evtx_dump on the same file, so start-up is a small part of the time.
make_evtx() { # make_evtx OUT MEGABYTES
  python3 - "$1" "$2" "$shared"/evtx/*.evtx <<'PY'
import sys, struct, zlib
out, mb, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
chunks, header = [], None
for f in files:
    b = open(f, "rb").read()
    if not b.startswith(b"ElfFile\0"):
        continue
    header = header or bytearray(b[:4096])
    for off in range(4096, len(b) - 65535, 65536):
        c = b[off:off + 65536]
        if c.startswith(b"ElfChnk\0"):
            chunks.append(c)
want = mb * 1024 * 1024 // 65536
with open(out, "wb") as o:
    n = min(want, 65535)
    struct.pack_into("<Q", header, 16, n - 1)   # last chunk number
    struct.pack_into("<H", header, 42, n)       # chunk count
    struct.pack_into("<I", header, 120, 0)      # flags: clean
    struct.pack_into("<I", header, 124, zlib.crc32(bytes(header[:120])))
    o.write(header)
    for i in range(n):
        o.write(chunks[i % len(chunks)])
PY
}
sizes=${SIZES:-64 256 1024}
for mb in $sizes; do
  f="$tmp/security-$mb.evtx"
  make_evtx "$f" "$mb"
  bytes=$(stat -c %s "$f")
  /usr/bin/time -f "%e %M" -o "$tmp/t" "$bin" logs analyze --format json "$f" >"$tmp/evtx.json"
  read -r secs kb <"$tmp/t"
  records=$(python3 -c "import json; print(sum(f['records'] for f in json.load(open('$tmp/evtx.json'))['files']))")
  awk -v m="$mb" -v r="$records" -v s="$secs" -v b="$bytes" -v k="$kb" 'BEGIN { printf "EVTX %d MB: Mamori %d records in %.2f s: %.0f records/s, %.1f MB/s, peak RSS %.0f MB\n", m, r, s, r / (s > 0 ? s : 0.01), b / 1e6 / (s > 0 ? s : 0.01), k / 1024 }'
  if command -v evtx_dump >/dev/null; then
    /usr/bin/time -f "%e %M" -o "$tmp/t" evtx_dump -o jsonl "$f" >/dev/null
    read -r dump dkb <"$tmp/t"
    awk -v m="$mb" -v s="$secs" -v d="$dump" -v k="$dkb" -v b="$bytes" 'BEGIN { printf "EVTX %d MB: evtx_dump -o jsonl %.2f s (%.1f MB/s, peak RSS %.0f MB); Mamori at %.2f× evtx_dump'"'"'s speed (goal ≥ 1.0)\n", m, d, b / 1e6 / d, k / 1024, d / (s > 0 ? s : 0.01) }'
  else
    echo "evtx_dump not installed (cargo install evtx): no ratio"
  fi
  rm -f "$f"
done

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
awk -v s="$secs" -v b="$size" -v k="$kb" 'BEGIN { printf "EHR CSV (CP932): 1000000 rows in %.2f s: %.0f rows/s (goal ≥ 1000000), %.1f MB/s, peak RSS %.0f MB\n", s, 1e6 / s, b / 1e6 / s, k / 1024 }'
