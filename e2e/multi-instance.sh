#!/usr/bin/env bash
# Several `mamori serve` on one PostgreSQL database behind nginx (round-robin): a person signs in through
# nginx and works across instances; an answer saved through one instance is read through the other at
# once; a lockout made on one holds on the other; with one instance stopped, nginx still serves.
# Needs: the mamori binary (MAMORI_BIN), nginx, curl, psql, and MAMORI_TEST_PG_URL (CI sets it).
set -euo pipefail

BIN=${MAMORI_BIN:-target/debug/mamori}
BASE=${MAMORI_TEST_PG_URL:?set MAMORI_TEST_PG_URL to a PostgreSQL server where databases may be created}
N=${INSTANCES:-2}
NAME="mamori_multi_$$"
DB="${BASE%/*}/$NAME"
WORK=$(mktemp -d)
PORT0=18380
PIDS=()

fail() { echo "FAIL: $*" >&2; exit 1; }
cleanup() {
  for p in "${PIDS[@]}" $(jobs -p); do kill "$p" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && nginx -c "$WORK/nginx.conf" -p "$WORK" -e "$WORK/nginx-error.log" -s stop 2>/dev/null || true
  sleep 0.5
  psql "$BASE" -qc "DROP DATABASE IF EXISTS $NAME" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

psql "$BASE" -qc "CREATE DATABASE $NAME" >/dev/null
echo 'Kusunoki#Hayashi#88' | "$BIN" init --db "$DB" --org-kind clinic --org-name "くすのきクリニック" \
  --admin admin --password-stdin >/dev/null
echo 'Sakura#Mado#2026x' | "$BIN" user add --db "$DB" --login uketsuke --name "受付 花子" --role editor \
  --password-stdin >/dev/null
TOKEN=$("$BIN" token create --db "$DB" --user uketsuke --label multi 2>/dev/null | head -1)

upstreams=""
for i in $(seq 1 "$N"); do
  port=$((PORT0 + i))
  RUST_LOG=warn "$BIN" serve --db "$DB" --listen "127.0.0.1:$port" --trust-proxy >"$WORK/serve-$i.log" 2>&1 &
  PIDS+=($!)
  upstreams+="    server 127.0.0.1:$port max_fails=1 fail_timeout=5s;"$'\n'
done
cat >"$WORK/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $WORK/body;
  proxy_temp_path $WORK/proxy;
  fastcgi_temp_path $WORK/fastcgi;
  uwsgi_temp_path $WORK/uwsgi;
  scgi_temp_path $WORK/scgi;
  upstream mamori {
$upstreams  }
  server {
    listen 127.0.0.1:$PORT0;
    location / {
      proxy_pass http://mamori;
      proxy_set_header Host \$host;
      proxy_set_header X-Real-IP \$remote_addr;
      proxy_next_upstream error timeout http_502 http_503;
      add_header X-Upstream \$upstream_addr always;
    }
  }
}
CONF
nginx -c "$WORK/nginx.conf" -p "$WORK" -e "$WORK/nginx-error.log"

# The instances first, then nginx: a probe through nginx before an instance listens would have nginx mark
# that instance failed for fail_timeout (5 s), and the round-robin below would not reach it.
for i in $(seq 1 "$N") 0; do
  port=$((PORT0 + i))
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || fail "port $port is not ready"
done
NGINX="http://127.0.0.1:$PORT0"
inst() { echo "http://127.0.0.1:$((PORT0 + $1))"; }

# Sign in through nginx; then every page works whichever instance serves it.
jar="$WORK/cookies"
login_page=$(curl -fs -c "$jar" "$NGINX/login")
csrf=$(grep -o 'name="csrf" value="[^"]*"' <<<"$login_page" | head -1 | sed 's/.*value="//; s/"$//')
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" -c "$jar" -X POST "$NGINX/login" \
  --data-urlencode "csrf=$csrf" --data-urlencode "login=uketsuke" --data-urlencode "password=Sakura#Mado#2026x")
[ "$code" = 303 ] || fail "sign-in through nginx: HTTP $code"
seen=""
for _ in $(seq 1 $((N * 3))); do
  out=$(curl -s -o /dev/null -D - -b "$jar" "$NGINX/dashboard")
  grep -q '^HTTP/1.1 200' <<<"$out" || fail "dashboard through nginx: $(head -1 <<<"$out")"
  seen+="$(grep -i '^x-upstream' <<<"$out" | tr -d '\r' | awk '{print $2}')"$'\n'
done
served=$(sort -u <<<"$seen" | grep -c . || true)
[ "$served" = "$N" ] || fail "round-robin reached $served of $N instances"
echo "signed in through nginx; $((N * 3)) pages served by all $N instances with one session"

# An answer saved through instance 1 is read through instance 2 at once.
answer='[{"item":"r7.facility.1.1","target":"general","round":1,"answer":"yes","checked_on":"2026-11-20","note":"多拠点の確認"}]'
code=$(curl -s -o "$WORK/put.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' -d "$answer" "$(inst 1)/api/v1/checklists/r7/facility/answers")
[ "$code" = 200 ] || fail "saving through instance 1: HTTP $code $(cat "$WORK/put.json")"
curl -fs -H "Authorization: Bearer $TOKEN" "$(inst 2)/api/v1/checklists/r7/facility/answers" | grep -q '多拠点の確認' \
  || fail "instance 2 does not see the answer saved through instance 1"
echo "an answer saved through instance 1 was read through instance 2 at once"

# Five wrong passwords on instance 1 lock the account; the right one on instance 2 is refused.
jar2="$WORK/cookies2"
for _ in 1 2 3 4 5; do
  page=$(curl -fs -c "$jar2" "$(inst 1)/login")
  csrf=$(grep -o 'name="csrf" value="[^"]*"' <<<"$page" | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -o /dev/null -b "$jar2" -c "$jar2" -X POST "$(inst 1)/login" --data-urlencode "csrf=$csrf" \
    --data-urlencode "login=uketsuke" --data-urlencode "password=wrong"
done
page=$(curl -fs -c "$jar2" "$(inst 2)/login")
csrf=$(grep -o 'name="csrf" value="[^"]*"' <<<"$page" | head -1 | sed 's/.*value="//; s/"$//')
body=$(curl -s -b "$jar2" -c "$jar2" -X POST "$(inst 2)/login" --data-urlencode "csrf=$csrf" \
  --data-urlencode "login=uketsuke" --data-urlencode "password=Sakura#Mado#2026x")
grep -q 'ロックされています' <<<"$body" || fail "the lockout made on instance 1 did not hold on instance 2"
echo "a lockout made on instance 1 held on instance 2"

# One instance stopped: nginx serves every request from the others (the earlier session still works).
kill "${PIDS[$((N - 1))]}"
wait "${PIDS[$((N - 1))]}" 2>/dev/null || true
for _ in $(seq 1 $((N * 4))); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" "$NGINX/dashboard")
  [ "$code" = 200 ] || fail "with an instance stopped: HTTP $code"
done
echo "with instance $N stopped, $((N * 4)) requests through nginx all served"
echo "multi-instance: ok ($N instances)"
