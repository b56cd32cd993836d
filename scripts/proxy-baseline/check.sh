#!/bin/sh
# Sanity check of a running baseline: an SQL injection gets 403 from ModSecurity+CRS, a benign GET and
# a benign form POST get 200, and the plain server passes the SQL injection through (200).
# Usage: scripts/proxy-baseline/check.sh [PORT]   (default 8190; the plain server is PORT+1)
set -eu
PORT=${1:-8190}
PLAIN_PORT=$((PORT + 1))
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
fail=0
expect() {
  if [ "$2" = "$3" ]; then echo "ok    $1: $3"; else echo "FAIL  $1: expected $2, got $3"; fail=1; fi
}
B="http://127.0.0.1:$PORT"
expect 'modsec  GET  SQL injection' 403 "$(status "$B/item?id=1%27%20OR%20%271%27%3D%271")"
expect 'modsec  GET  XSS' 403 "$(status "$B/q?x=%3Cscript%3Ealert(1)%3C%2Fscript%3E")"
expect 'modsec  GET  benign' 200 "$(status -A 'Mozilla/5.0' -H 'Accept: text/html' "$B/products/42?category=books&sort=price_asc&page=2")"
expect 'modsec  POST benign form' 200 "$(status -A 'Mozilla/5.0' -H 'Accept: text/html' --data 'user=alice&comment=Nice+post%2C+thanks%21' "$B/comments")"
expect 'plain   GET  SQL injection' 200 "$(status "http://127.0.0.1:$PLAIN_PORT/item?id=1%27%20OR%20%271%27%3D%271")"
exit $fail
