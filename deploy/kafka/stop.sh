#!/usr/bin/env bash
# Stops the broker started by start.sh (controlled shutdown, then KILL after a grace period).
set -euo pipefail
source "$(dirname "$0")/../env.sh"
if pid_alive "$KAFKA_DIR/kafka.pid"; then log "stopping Kafka on $KAFKA_HOST:$KAFKA_PORT"; fi
stop_pid "$KAFKA_DIR/kafka.pid" 60
