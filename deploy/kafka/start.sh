#!/usr/bin/env bash
# Starts the broker in the background and returns once it answers. Already running: no-op.
set -euo pipefail
here="$(dirname "$0")"
source "$here/../env.sh"
pidfile="$KAFKA_DIR/kafka.pid"
if pid_alive "$pidfile"; then "$here/wait.sh"; exit 0; fi
"$here/fetch.sh"
"$here/format.sh"
# wait.sh looks for the startup line, so a previous run's log must not answer for this one.
[ -f "$LOG_DIR/kafka-server.log" ] && mv "$LOG_DIR/kafka-server.log" "$LOG_DIR/kafka-server.log.prev"
log "starting Kafka 3.9.1 on $KAFKA_HOST:$KAFKA_PORT (log: $LOG_DIR/kafka-server.log)"
# shellcheck disable=SC2086
setsid nohup java $KAFKA_HEAP_OPTS -XX:+UseG1GC -Djava.awt.headless=true \
  -Dlog4j.configuration="file:$ROUTER_ROOT/deploy/kafka/log4j.properties" \
  -Dkafka.logs.dir="$LOG_DIR" -cp "$KAFKA_LIB/*" kafka.Kafka "$KAFKA_DIR/server.properties" \
  > "$LOG_DIR/kafka-stdout.log" 2>&1 < /dev/null &
echo $! > "$pidfile"
"$here/wait.sh"
