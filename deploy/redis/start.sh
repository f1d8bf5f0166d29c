#!/usr/bin/env bash
# Starts redis-server on loopback with append-only persistence; returns once it answers PONG.
set -euo pipefail
here="$(dirname "$0")"
source "$here/../env.sh"
"$here/install.sh"
mkdir -p "$REDIS_DIR" "$LOG_DIR"
pidfile="$REDIS_DIR/redis.pid"
if ! pid_alive "$pidfile"; then
  log "starting Redis on $REDIS_HOST:$REDIS_PORT (log: $LOG_DIR/redis.log, data: $REDIS_DIR)"
  setsid redis-server "$ROUTER_ROOT/deploy/redis/redis.conf" --port "$REDIS_PORT" --bind "$REDIS_HOST" \
    --dir "$REDIS_DIR" --pidfile "$pidfile" --logfile "$LOG_DIR/redis.log"
fi
deadline=$((SECONDS + 30))
until [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; do
  [ $SECONDS -lt $deadline ] || { log "Redis did not answer on $REDIS_HOST:$REDIS_PORT"; exit 1; }
  sleep 0.1
done
