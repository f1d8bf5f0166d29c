#!/usr/bin/env bash
# Stops the Redis Cluster started by start.sh. With --wipe, also deletes its data, so the
# next start creates a new cluster.
set -euo pipefail
source "$(dirname "$0")/../../env.sh"
first="${REDIS_CLUSTER_PORT:-7000}"
base="$ROUTER_VAR/redis-cluster"
for port in "$first" "$((first + 1))" "$((first + 2))"; do
  pidfile="$base/$port/redis.pid"
  if pid_alive "$pidfile"; then
    redis-cli -h "$REDIS_HOST" -p "$port" shutdown nosave >/dev/null 2>&1 || true
    stop_pid "$pidfile" 10
  fi
  rm -f "$pidfile"
  if [ "${1:-}" = "--wipe" ]; then rm -rf "${base:?}/$port"; fi
done
