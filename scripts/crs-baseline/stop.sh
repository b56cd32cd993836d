#!/bin/sh
# Stops the CRS baseline Apache started by start.sh (same RUNDIR).
set -eu
RUNDIR=${1:-/tmp/crs-baseline}
/usr/sbin/apache2 -f "$RUNDIR/apache.conf" -k stop
