#!/usr/bin/env bash
# Returns once the broker has finished starting and accepts connections; fails after a timeout.
set -euo pipefail
source "$(dirname "$0")/../env.sh"
pidfile="$KAFKA_DIR/kafka.pid"
deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-120}))
while [ $SECONDS -lt $deadline ]; do
  pid_alive "$pidfile" || { log "Kafka exited; see $LOG_DIR/kafka-server.log and kafka-stdout.log"; tail -n 20 "$LOG_DIR/kafka-stdout.log" >&2 || true; exit 1; }
  if grep -q "Kafka Server started" "$LOG_DIR/kafka-server.log" 2>/dev/null \
     && (exec 3<>"/dev/tcp/$KAFKA_HOST/$KAFKA_PORT") 2>/dev/null; then
    exit 0
  fi
  sleep 0.3
done
log "Kafka did not answer on $KAFKA_HOST:$KAFKA_PORT within ${KAFKA_START_TIMEOUT:-120}s"
exit 1
