#!/usr/bin/env bash
# `make run`: Kafka, Redis, topics, one router worker and demo traffic, in the foreground.
# Ctrl-C stops everything this script started; services that were already up stay up.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/env.sh"
BIN="$ROUTER_ROOT/.venv/bin"
export ROUTER_KAFKA_BOOTSTRAP="${ROUTER_KAFKA_BOOTSTRAP:-$KAFKA_HOST:$KAFKA_PORT}"
export ROUTER_REDIS_URL="${ROUTER_REDIS_URL:-redis://$REDIS_HOST:$REDIS_PORT/0}"

started_kafka=0; started_redis=0; worker_pid=""; demo_pid=""
pid_alive "$KAFKA_DIR/kafka.pid" || started_kafka=1
pid_alive "$REDIS_DIR/redis.pid" || started_redis=1

cleanup() {
  trap - INT TERM EXIT
  echo; log "stopping ..."
  # The demo first: its agents sign off (go offline), and the worker, still running,
  # records that, so the next `make run` does not offer items to agents nobody plays.
  [ -n "$demo_pid" ] && kill -TERM "$demo_pid" 2>/dev/null || true
  if [ -n "$demo_pid" ]; then wait "$demo_pid" 2>/dev/null || true; sleep 2; fi
  [ -n "$worker_pid" ] && kill -TERM "$worker_pid" 2>/dev/null || true
  [ -n "$worker_pid" ] && wait "$worker_pid" 2>/dev/null || true
  [ "$started_kafka" = 1 ] && "$here/kafka/stop.sh" || true
  [ "$started_redis" = 1 ] && "$here/redis/stop.sh" || true
  log "stopped everything make run started."
}
trap 'cleanup; exit 0' INT TERM
trap cleanup EXIT

"$here/up.sh"
"$BIN/router" topics create >/dev/null
mkdir -p "$LOG_DIR"
setsid "$BIN/router" worker > "$LOG_DIR/worker.log" 2>&1 &
worker_pid=$!
cat <<MSG

  Kafka broker   $ROUTER_KAFKA_BOOTSTRAP   (log: $LOG_DIR/kafka-server.log)
  Redis          $ROUTER_REDIS_URL   (log: $LOG_DIR/redis.log)
  router worker  pid $worker_pid   (log: $LOG_DIR/worker.log)
  configuration  ${ROUTER_CONFIG:-the bundled sample (router/config/sample.yaml)}
  data           $ROUTER_VAR

  Simulated connectors and agents start once the worker is ready; the live view
  follows. Press Ctrl-C to stop everything started here.

MSG
# The worker is ready (/readyz) once it has partitions and Redis answers; the first run
# of a fresh clone takes a few seconds more while Kafka creates the consumer group.
ready_url="http://${ROUTER_HTTP_ADDRESS:-127.0.0.1:9108}/readyz"
for i in $(seq 120); do
  "$BIN/python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" \
    "$ready_url" 2>/dev/null && break
  kill -0 "$worker_pid" 2>/dev/null || break
  [ $((i % 5)) = 0 ] && log "waiting for the worker to be ready ($i s) ..."
  sleep 1
done
"$BIN/router" demo --rate "${DEMO_RATE:-5}" &
demo_pid=$!
while kill -0 "$worker_pid" 2>/dev/null && kill -0 "$demo_pid" 2>/dev/null; do sleep 1; done
kill -0 "$worker_pid" 2>/dev/null || { log "the worker exited; last lines of its log:"; tail -n 20 "$LOG_DIR/worker.log" >&2; exit 1; }
