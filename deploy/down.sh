#!/usr/bin/env bash
# Stops whatever up.sh started. Nothing running: nothing to do.
set -euo pipefail
here="$(dirname "$0")"
"$here/kafka/stop.sh"
"$here/redis/stop.sh"
