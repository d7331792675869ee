#!/usr/bin/env bash
# The Linux zip as a new user runs it, in an empty folder without Rust: the sums check, init, the
# inspection pack, and serve reached by curl; then the static agent's zip, when built: the sums, no
# shared libraries, an inventory posted to that server.
#   bash tools/dist/linux-smoke.sh [target/dist/mamori-<version>-linux-x86_64.zip]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ZIP=${1:-$(ls target/dist/mamori-*-linux-x86_64.zip | head -1)}
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

unzip -q "$ZIP" -d "$WORK"
cd "$WORK"/mamori-*-linux-x86_64*/
sha256sum --quiet -c SHA256SUMS.txt || fail "the zip's files do not match SHA256SUMS.txt"
v=$(./mamori --version)
echo 'Linux-Smoke-2026!x' | ./mamori init --db mamori.db --org-kind pharmacy --org-name "ゆず薬局" \
  --admin admin --password-stdin >/dev/null || fail "init"
./mamori export pack --db mamori.db --out pack.pdf >/dev/null || fail "export pack"
[ "$(head -c 5 pack.pdf)" = "%PDF-" ] || fail "pack.pdf is not a PDF"
./mamori-agent collect --out inventory.json >/dev/null || fail "mamori-agent collect"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
./mamori serve --db mamori.db --listen "127.0.0.1:$PORT" >serve.log 2>&1 &
PID=$!
for _ in $(seq 1 30); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.5; done
curl -sf "http://127.0.0.1:$PORT/login" | grep -q "<title>ログイン" || fail "serve: $(cat serve.log)"
echo "PASS: $(basename "$ZIP"): $v from the zip: sums, init, export pack, agent collect, serve answered curl"

AGENT_ZIP=$(ls "$ROOT"/target/dist/mamori-agent-*-linux-x86_64-musl.zip 2>/dev/null | head -1 || true)
if [ -z "$AGENT_ZIP" ]; then
  echo "SKIP: the static Linux agent's zip was not built (musl-tools missing)"
  exit 0
fi
SERVER_DIR=$PWD
unzip -q "$AGENT_ZIP" -d "$WORK/agent"
cd "$WORK"/agent/mamori-agent-*-linux-x86_64-musl
sha256sum --quiet -c SHA256SUMS.txt || fail "the agent zip's files do not match SHA256SUMS.txt"
# No program interpreter: nothing of the system's C library is needed.
readelf -l mamori-agent | grep -q "interpreter" && fail "mamori-agent is linked dynamically"
TOKEN=$("$SERVER_DIR"/mamori agent enroll-token --db "$SERVER_DIR"/mamori.db 2>/dev/null)
./mamori-agent run --once --server "http://127.0.0.1:$PORT" --enroll-token "$TOKEN" --state "$PWD/agent.json" 2>&1 |
  grep -q "一覧を送りました" || fail "the static agent did not post its inventory"
echo "PASS: $(basename "$AGENT_ZIP"): static, enrolled and posted an inventory"
