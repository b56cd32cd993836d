#!/bin/sh
# Stops the nginx baseline started by start.sh (same RUNDIR) and waits until its master has exited.
set -eu
RUNDIR=${1:-/tmp/proxy-baseline}
[ -s "$RUNDIR/nginx.pid" ] || exit 0
PID=$(cat "$RUNDIR/nginx.pid")
/usr/sbin/nginx -p "$RUNDIR" -c "$RUNDIR/nginx.conf" -s stop
i=0
while kill -0 "$PID" 2>/dev/null && [ $i -lt 40 ]; do
  i=$((i + 1))
  sleep 0.25
done
