#!/usr/bin/env bash
# Downloads the Kafka 3.9.1 broker jars from Maven Central into deploy/kafka/lib, once.
set -euo pipefail
source "$(dirname "$0")/../env.sh"
if [ -f "$KAFKA_LIB/.complete" ]; then exit 0; fi
command -v java >/dev/null || { log "java not found: Kafka needs Java 17+"; exit 1; }
command -v mvn >/dev/null || { log "mvn not found: Maven fetches the Kafka jars"; exit 1; }
log "fetching Kafka jars with Maven into $KAFKA_LIB ..."
rm -rf "$KAFKA_LIB"
mvn -q -B -Dstyle.color=never -f "$ROUTER_ROOT/deploy/kafka/pom.xml" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIB"
ls "$KAFKA_LIB"/kafka_2.13-3.9.1.jar >/dev/null
touch "$KAFKA_LIB/.complete"
