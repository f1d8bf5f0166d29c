#!/usr/bin/env bash
# Formats the KRaft storage once; a formatted directory is left alone.
set -euo pipefail
source "$(dirname "$0")/../env.sh"
mkdir -p "$KAFKA_DIR/data" "$LOG_DIR"
sed -e "s|@KAFKA_HOST@|$KAFKA_HOST|g" -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
    -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" -e "s|@KAFKA_DATA@|$KAFKA_DIR/data|g" \
    "$ROUTER_ROOT/deploy/kafka/server.properties.template" > "$KAFKA_DIR/server.properties"
if [ -f "$KAFKA_DIR/data/meta.properties" ]; then exit 0; fi
cluster_id="$(java -cp "$KAFKA_LIB/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)"
log "formatting Kafka storage in $KAFKA_DIR/data (cluster $cluster_id)"
java -Dlog4j.configuration="file:$ROUTER_ROOT/deploy/kafka/log4j.properties" \
  -Dkafka.logs.dir="$LOG_DIR" -cp "$KAFKA_LIB/*" kafka.tools.StorageTool format \
  -t "$cluster_id" -c "$KAFKA_DIR/server.properties" >> "$LOG_DIR/kafka-format.log" 2>&1
