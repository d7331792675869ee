#!/usr/bin/env bash
# A hosted deployment under load: 1,000 organisations seeded on PostgreSQL, two `mamori serve` behind
# nginx (round-robin), 200 signed-in users across organisations on the dashboard, the checklist, the
# ledger lists, the evidence API and answer saves; then the same with one instance killed mid-run.
# Prints p50/p95/p99, errors, and whether every acknowledged save is stored. Not a test.
# Usage: MAMORI_TEST_PG_URL=postgres://… bash bench/hosting.sh [ORGS] [USERS] [SECONDS] [THINK_MS] [WARMUP_S]
# The warm-up (each user's organisation read once into the caches) is run first and not counted.
set -euo pipefail
cd "$(dirname "$0")/.."
ORGS=${1:-1000}
USERS=${2:-200}
SECONDS_=${3:-30}
THINK=${4:-1000}
WARMUP=${5:-10}
BASE=${MAMORI_TEST_PG_URL:?set MAMORI_TEST_PG_URL to a PostgreSQL server where databases may be created}
NAME="mamori_bench_$$"
DB="${BASE%/*}/$NAME"
WORK=$(mktemp -d)
PORT0=18480
PIDS=()

cargo build --release -q -p mamori
cargo build --release -q -p mamori-web --example hosting_load
BIN=target/release/mamori
LOAD=target/release/examples/hosting_load

cleanup() {
  for p in "${PIDS[@]}" $(jobs -p); do kill "$p" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && nginx -c "$WORK/nginx.conf" -p "$WORK" -e "$WORK/nginx-error.log" -s stop 2>/dev/null || true
  sleep 0.5
  psql "$BASE" -qc "DROP DATABASE IF EXISTS $NAME" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

psql "$BASE" -qc "CREATE DATABASE $NAME" >/dev/null
"$LOAD" seed "$DB" "$ORGS"

start() {
  local i=$1 port=$((PORT0 + $1))
  RUST_LOG=warn "$BIN" serve --db "$DB" --listen "127.0.0.1:$port" --trust-proxy >"$WORK/serve-$i.log" 2>&1 &
  PIDS[$i]=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && return; sleep 0.1; done
  echo "instance $i did not start" >&2; exit 1
}
start 1; start 2
cat >"$WORK/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 2048; }
http {
  access_log off;
  client_body_temp_path $WORK/body; proxy_temp_path $WORK/proxy;
  fastcgi_temp_path $WORK/fastcgi; uwsgi_temp_path $WORK/uwsgi; scgi_temp_path $WORK/scgi;
  upstream mamori {
    server 127.0.0.1:$((PORT0 + 1)) max_fails=1 fail_timeout=5s;
    server 127.0.0.1:$((PORT0 + 2)) max_fails=1 fail_timeout=5s;
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$PORT0;
    location / {
      proxy_pass http://mamori;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Real-IP \$remote_addr;
      proxy_next_upstream error timeout http_502 http_503;
    }
  }
}
CONF
nginx -c "$WORK/nginx.conf" -p "$WORK" -e "$WORK/nginx-error.log"
sleep 0.5

echo "== warm-up ($WARMUP s, not counted)"
"$LOAD" load "http://127.0.0.1:$PORT0" "$ORGS" "$USERS" "$WARMUP" "$THINK" | grep -E "requests|lost"
for n in ${LOW_USERS:-}; do
  echo "== both instances up, $n users"
  "$LOAD" load "http://127.0.0.1:$PORT0" "$ORGS" "$n" "$SECONDS_" "$THINK"
done
echo "== both instances up"
"$LOAD" load "http://127.0.0.1:$PORT0" "$ORGS" "$USERS" "$SECONDS_" "$THINK"

echo "== instance 2 killed (SIGKILL) halfway through"
( sleep $((SECONDS_ / 2)); kill -9 "${PIDS[2]}"; echo "   (killed instance 2 at $((SECONDS_ / 2)) s)" ) &
killer=$!
"$LOAD" load "http://127.0.0.1:$PORT0" "$ORGS" "$USERS" "$SECONDS_" "$THINK"
wait "$killer"
