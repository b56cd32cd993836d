#!/bin/sh
# Starts the dedicated CRS baseline Apache on 127.0.0.1:$PORT with runtime files in $RUNDIR.
# Usage: [CRS_EXTRA_CONF=variant.conf] scripts/crs-baseline/start.sh [RUNDIR] [PORT]
#        (defaults: /tmp/crs-baseline 8090; CRS_EXTRA_CONF is included right after crs-setup.conf)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
RUNDIR=${1:-/tmp/crs-baseline}
PORT=${2:-8090}
mkdir -p "$RUNDIR/data" "$RUNDIR/tmp"
chown www-data:www-data "$RUNDIR/data" "$RUNDIR/tmp"
EXTRA="# no variant"
if [ -n "${CRS_EXTRA_CONF:-}" ]; then EXTRA="Include $(cd "$(dirname "$CRS_EXTRA_CONF")" && pwd)/$(basename "$CRS_EXTRA_CONF")"; fi
sed -e "s#@RUNDIR@#$RUNDIR#g" -e "s#@PORT@#$PORT#g" -e "s|@EXTRA@|$EXTRA|" "$HERE/apache.conf.template" >"$RUNDIR/apache.conf"
cat >"$RUNDIR/ok.lua" <<LUA
function translate(r)
  r.filename = "$RUNDIR/ok.lua"
  return apache2.OK
end
function handle(r)
  r.content_type = "text/plain"
  r:puts("ok\n")
  return apache2.OK
end
LUA
/usr/sbin/apache2 -f "$RUNDIR/apache.conf" -t
/usr/sbin/apache2 -f "$RUNDIR/apache.conf" -k start
for _ in 1 2 3 4 5 6 7 8 9 10; do
  if [ -s "$RUNDIR/apache2.pid" ]; then
    echo "CRS baseline Apache running on 127.0.0.1:$PORT (pid $(cat "$RUNDIR/apache2.pid"), logs in $RUNDIR)"
    exit 0
  fi
  sleep 0.5
done
echo "Apache did not start; see $RUNDIR/error.log" >&2
exit 1
