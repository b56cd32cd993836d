#!/bin/sh
# Starts the dedicated nginx baseline: ModSecurity + CRS PL1 on 127.0.0.1:$PORT and the same proxy
# without ModSecurity on 127.0.0.1:$((PORT+1)), both forwarding to $UPSTREAM; runtime files in $RUNDIR.
# Usage: scripts/proxy-baseline/start.sh UPSTREAM_HOST:PORT [RUNDIR] [PORT]
#        (defaults: /tmp/proxy-baseline 8190; NGINX_WORKERS=N sets worker_processes, default 1)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 1 ]; then
  echo "usage: $0 UPSTREAM_HOST:PORT [RUNDIR] [PORT]" >&2
  exit 2
fi
UPSTREAM=$1
RUNDIR=${2:-/tmp/proxy-baseline}
PORT=${3:-8190}
PLAIN_PORT=$((PORT + 1))
WORKERS=${NGINX_WORKERS:-1}
for f in /usr/sbin/nginx /usr/lib/nginx/modules/ngx_http_modsecurity_module.so \
  /usr/share/nginx/docs/modsecurity/modsecurity.conf /etc/modsecurity/crs/crs-setup.conf; do
  if [ ! -e "$f" ]; then
    echo "missing $f: see $HERE/README.md (apt-get install -y nginx libnginx-mod-http-modsecurity modsecurity-crs)" >&2
    exit 3
  fi
done
mkdir -p "$RUNDIR/data" "$RUNDIR/tmp"
chown www-data:www-data "$RUNDIR/data" "$RUNDIR/tmp"
render() {
  sed -e "s#@RUNDIR@#$RUNDIR#g" -e "s#@PORT@#$PORT#g" -e "s#@PLAIN_PORT@#$PLAIN_PORT#g" \
    -e "s#@UPSTREAM@#$UPSTREAM#g" -e "s#@WORKERS@#$WORKERS#g" "$1" >"$2"
}
render "$HERE/nginx.conf.template" "$RUNDIR/nginx.conf"
render "$HERE/modsecurity.conf.template" "$RUNDIR/modsecurity.conf"
rm -f "$RUNDIR/nginx.pid"
/usr/sbin/nginx -p "$RUNDIR" -c "$RUNDIR/nginx.conf" -t -q
/usr/sbin/nginx -p "$RUNDIR" -c "$RUNDIR/nginx.conf"
# Loading the CRS takes a moment; wait until both ports answer (any status).
i=0
while [ $i -lt 60 ]; do
  if [ -s "$RUNDIR/nginx.pid" ] &&
    curl -s -o /dev/null "http://127.0.0.1:$PORT/" && curl -s -o /dev/null "http://127.0.0.1:$PLAIN_PORT/"; then
    echo "nginx baseline running (pid $(cat "$RUNDIR/nginx.pid"), $WORKERS worker(s)): ModSecurity+CRS on 127.0.0.1:$PORT, plain on 127.0.0.1:$PLAIN_PORT → $UPSTREAM (logs in $RUNDIR)"
    exit 0
  fi
  i=$((i + 1))
  sleep 0.25
done
echo "nginx did not start; see $RUNDIR/error.log" >&2
exit 1
