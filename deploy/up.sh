#!/usr/bin/env bash
# Starts Kafka and Redis if they are not running; returns once both answer. Idempotent.
set -euo pipefail
here="$(dirname "$0")"
source "$here/env.sh"
"$here/redis/start.sh"
"$here/kafka/start.sh"
log "Kafka: $KAFKA_HOST:$KAFKA_PORT  Redis: redis://$REDIS_HOST:$REDIS_PORT  logs: $LOG_DIR"
