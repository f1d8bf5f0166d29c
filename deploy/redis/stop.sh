#!/usr/bin/env bash
# Stops the Redis started by start.sh; SHUTDOWN lets it finish the append-only file.
set -euo pipefail
source "$(dirname "$0")/../env.sh"
pidfile="$REDIS_DIR/redis.pid"
pid_alive "$pidfile" || { rm -f "$pidfile"; exit 0; }
log "stopping Redis on $REDIS_HOST:$REDIS_PORT"
redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
stop_pid "$pidfile" 10
