#!/usr/bin/env bash
# The Windows zip under Wine (Debian's wine64), as a clinic would use it: `mamori.exe init` on a
# database under C:\ProgramData, `mamori.exe serve` reached by curl from Linux, `mamori-agent.exe collect`
# giving a valid inventory, `mamori-agent.exe run --once` enrolling with that server and the device then
# in its ledger, `mamori.exe export pack` giving the inspection PDF, and both programs installed, started,
# stopped and removed as Windows services. A step Wine cannot do is a SKIP with the reason; a step that
# fails is a FAIL (exit 1).
#
#   bash tools/dist/wine-smoke.sh [target/dist/mamori-<version>-windows-x86_64.zip]
# Needs: wine64, gcc-mingw-w64-x86-64 (for the stand-in below), curl, unzip, pdftotext, python3.
set -euo pipefail
cd "$(dirname "$0")/../.."

ZIP=${1:-$(ls target/dist/mamori-*-windows-x86_64.zip 2>/dev/null | grep -v agent | head -1 || true)}
PASS=0
SKIP=0
pass() { echo "PASS: $*"; PASS=$((PASS + 1)); }
skip() { echo "SKIP: $*"; SKIP=$((SKIP + 1)); }
fail() { echo "FAIL: $*" >&2; exit 1; }

WINE=$(command -v wine64 || command -v wine || { [ -x /usr/lib/wine/wine64 ] && echo /usr/lib/wine/wine64; } || true)
WINESERVER=$(command -v wineserver || { [ -x /usr/lib/wine/wineserver ] && echo /usr/lib/wine/wineserver; } || true)
if [ -z "$WINE" ] || [ -z "$WINESERVER" ]; then
  skip "all steps: Wine is not installed (apt-get install wine64)"
  exit 0
fi
[ -n "$ZIP" ] && [ -f "$ZIP" ] || fail "no Windows zip (run bash tools/dist.sh first): ${ZIP:-none}"

WORK=$(mktemp -d)
export WINEPREFIX="$WORK/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINEARCH=win64
SERVE_PID=
cleanup() {
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null || true
  "$WINESERVER" -k 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
w() { timeout 180 "$WINE" "$@"; }
# C:\ProgramData in the prefix, as Linux sees it.
C="$WINEPREFIX/drive_c"

echo "== $ZIP under $("$WINE" --version 2>/dev/null || echo wine)"
unzip -q "$ZIP" -d "$WORK/zip"
APP=$(ls -d "$WORK"/zip/mamori-*-windows-x86_64)
# The prefix made and settled (its wineserver gone: wineboot goes on in the background), then one
# wineserver (and its service manager) kept for the whole test.
"$WINE" wineboot --init >/dev/null 2>&1 || true
"$WINESERVER" -w
"$WINESERVER" -p

# Wine 8 lacks bcryptprimitives.dll (Windows 10 and later have it), from which Rust's standard library
# takes random bytes: a stand-in beside the programs, for this test only (the zip does not carry it).
x86_64-w64-mingw32-gcc -O2 -shared -o "$APP/bcryptprimitives.dll" \
  tools/dist/wine/bcryptprimitives.c tools/dist/wine/bcryptprimitives.def -ladvapi32 ||
  fail "the bcryptprimitives stand-in does not build (gcc-mingw-w64-x86-64)"
cd "$APP"

# 1. The programs start.
v=$(w ./mamori.exe --version 2>/dev/null | tr -d '\r') || fail "mamori.exe --version"
va=$(w ./mamori-agent.exe --version 2>/dev/null | tr -d '\r') || fail "mamori-agent.exe --version"
pass "$v / $va start"

# 2. init on C:\ProgramData\Mamori\mamori.db (a Windows path with a drive letter).
mkdir -p "$C/ProgramData/Mamori"
DB='C:\ProgramData\Mamori\mamori.db'
out=$(echo 'Wine-Smoke-2026!x' | w ./mamori.exe init --db "$DB" --org-kind clinic --org-name "ワイン診療所" \
  --admin admin --admin-name "管理 太郎" --password-stdin 2>&1) || fail "init: $out"
[ -f "$C/ProgramData/Mamori/mamori.db" ] || fail "init wrote no C:\\ProgramData\\Mamori\\mamori.db"
pass "mamori.exe init: $(echo "$out" | tr -d '\r')"

# 3. serve, reached from Linux.
PORT=$(free_port)
w ./mamori.exe serve --db "$DB" --listen "127.0.0.1:$PORT" > "$WORK/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 60); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 1; done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || fail "serve did not answer: $(cat "$WORK/serve.log")"
page=$(curl -sf "http://127.0.0.1:$PORT/login") || fail "GET /login"
grep -q "<title>ログイン" <<<"$page" || fail "/login is not the login page"
pass "mamori.exe serve answers curl from Linux on 127.0.0.1:$PORT (/healthz, /login)"

# 4. The agent's inventory of this (Wine) machine.
out=$(w ./mamori-agent.exe collect --out inventory.json 2>&1 | tr -d '\r') || fail "collect: $out"
python3 - inventory.json <<'PY' || fail "the inventory is not valid"
import json, sys
inv = json.load(open(sys.argv[1], encoding="utf-8"))
assert inv["format"] == 1 and inv["platform"] == "windows", inv.get("platform")
assert inv["hostname"] and inv["machine_id"] and inv["os"].startswith("Microsoft Windows"), inv["os"]
assert inv["services"], "no services read from the registry"
for key in ("packages", "accounts", "listeners", "admins", "problems"):
    assert isinstance(inv[key], list), key
print("  inventory: %s, %s, %d services, problems: %d" % (inv["hostname"], inv["os"], len(inv["services"]), len(inv["problems"])))
PY
pass "mamori-agent.exe collect wrote a valid inventory"
if grep -q "PowerShell が動きませんでした" <<<"$out"; then
  skip "accounts, updates and antivirus in the inventory: Wine has no working PowerShell (the agent says so: $(grep -o 'PowerShell が動きませんでした[^（]*' <<<"$out" | head -1))"
fi

# 5. The agent enrols with the server running under Wine and posts; the device is in the ledger.
TOKEN=$(w ./mamori.exe agent enroll-token --db "$DB" --label "Wine" 2>/dev/null | tr -d '\r') || fail "enroll-token"
out=$(w ./mamori-agent.exe run --once --server "http://127.0.0.1:$PORT" --enroll-token "$TOKEN" \
  --state 'C:\ProgramData\Mamori\agent.json' 2>&1 | tr -d '\r') || fail "agent run --once: $out"
grep -q "の機器として登録しました" <<<"$out" || fail "the agent did not enrol: $out"
w ./mamori.exe export ledger --kind devices --db "$DB" --out 'C:\ProgramData\Mamori\devices.csv' >/dev/null 2>&1 ||
  fail "export ledger devices"
host=$(python3 -c 'import json; print(json.load(open("inventory.json", encoding="utf-8"))["hostname"])')
grep -qi "$host" "$C/ProgramData/Mamori/devices.csv" || fail "$host is not in the device ledger"
pass "mamori-agent.exe run --once enrolled and posted; $host is in the device ledger"
kill "$SERVE_PID" 2>/dev/null || true
wait "$SERVE_PID" 2>/dev/null || true
SERVE_PID=

# 6. The inspection pack as PDF.
out=$(w ./mamori.exe export pack --db "$DB" --out 'C:\ProgramData\Mamori\pack.pdf' 2>&1 | tr -d '\r') ||
  fail "export pack: $out"
text=$(pdftotext "$C/ProgramData/Mamori/pack.pdf" -)
grep -q "立入検査用資料" <<<"$text" && grep -q "ワイン診療所" <<<"$text" || fail "the pack lacks its title or the facility"
pass "mamori.exe export pack: $out"

# 7. The server as a Windows service: install, start, reached by curl, stop, uninstall.
SPORT=$(free_port)
out=$(w ./mamori.exe service install --listen "127.0.0.1:$SPORT" --data-dir 'C:\MamoriService' \
  --backup-dir 'C:\MamoriBackup' 2>&1 | tr -d '\r') || fail "service install: $out"
grep -q "listen = '127.0.0.1:$SPORT'" "$C/MamoriService/mamori.toml" || fail "no settings file"
w ./mamori.exe service start >/dev/null 2>&1 || fail "service start: $(w ./mamori.exe service start 2>&1)"
for _ in $(seq 1 60); do curl -sf -o /dev/null "http://127.0.0.1:$SPORT/healthz" && break; sleep 1; done
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SPORT/setup")
[ "$code" = 200 ] || fail "the service's /setup answered $code"
[ -f "$C/MamoriService/mamori.db" ] || fail "the service's database is not in its data folder"
grep -q "サービスとして起動します" "$C/MamoriService/logs/mamori.log" || fail "no service log"
# The scheduled backup's first generation, at start, in the folder given at install.
for _ in $(seq 1 30); do ls "$C"/MamoriBackup/mamori-*.json >/dev/null 2>&1 && break; sleep 1; done
ls "$C"/MamoriBackup/mamori-*.db >/dev/null 2>&1 || fail "no backup generation in C:\\MamoriBackup"
st=$(w ./mamori.exe service status 2>&1 | tr -d '\r')
grep -q "実行中" <<<"$st" || fail "status: $st"
w ./mamori.exe service stop >/dev/null || fail "service stop"
curl -sf -o /dev/null "http://127.0.0.1:$SPORT/healthz" && fail "still answering after stop"
grep -q "サービスを停止しました" "$C/MamoriService/logs/mamori.log" || fail "the log lacks the stop"
w ./mamori.exe service uninstall >/dev/null || fail "service uninstall"
st=$(w ./mamori.exe service status 2>&1 | tr -d '\r')
grep -q "未登録" <<<"$st" || fail "after uninstall: $st"
pass "mamori.exe service install/start/status/stop/uninstall (settings, database and log in C:\\MamoriService, a backup generation in C:\\MamoriBackup)"

# 8. The agent as a service, posting to a server on Linux's side of Wine.
PORT=$(free_port)
w ./mamori.exe serve --db "$DB" --listen "127.0.0.1:$PORT" > "$WORK/serve2.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 60); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 1; done
TOKEN=$(w ./mamori.exe agent enroll-token --db "$DB" --label "Wine service" 2>/dev/null | tr -d '\r')
mkdir -p "$C/MamoriAgent"
out=$(w ./mamori-agent.exe service install --server "http://127.0.0.1:$PORT" --enroll-token "$TOKEN" \
  --state 'C:\MamoriAgent\agent.json' 2>&1 | tr -d '\r') || fail "agent service install: $out"
w ./mamori-agent.exe service start >/dev/null || fail "agent service start"
for _ in $(seq 1 60); do grep -q "一覧を送りました" "$C/MamoriAgent/logs/mamori-agent.log" 2>/dev/null && break; sleep 1; done
grep -q "一覧を送りました" "$C/MamoriAgent/logs/mamori-agent.log" || fail "the agent service sent nothing"
w ./mamori-agent.exe service stop >/dev/null || fail "agent service stop"
w ./mamori-agent.exe service uninstall >/dev/null || fail "agent service uninstall"
grep -q "サービスを停止しました" "$C/MamoriAgent/logs/mamori-agent.log" || fail "the agent log lacks the stop"
pass "mamori-agent.exe service install (enrolled) / start (sent an inventory) / stop / uninstall"

echo "wine smoke: $PASS passed, $SKIP skipped"
