#!/usr/bin/env bash
# Starts a 3-master Redis Cluster (no replicas) on loopback for tests and local trials.
# Ports: REDIS_CLUSTER_PORT (first port, default 7000) and the two after it.
# Data and logs: $ROUTER_VAR/redis-cluster/<port>/. Idempotent; returns once the cluster
# reports cluster_state:ok.
set -euo pipefail
here="$(dirname "$0")"
source "$here/../../env.sh"
"$here/../install.sh"
first="${REDIS_CLUSTER_PORT:-7000}"
ports=("$first" "$((first + 1))" "$((first + 2))")
base="$ROUTER_VAR/redis-cluster"
fresh=0
for port in "${ports[@]}"; do
  dir="$base/$port"
  mkdir -p "$dir"
  if ! pid_alive "$dir/redis.pid"; then
    # A node that was stopped starts again from its nodes.conf; a new one starts empty.
    [ -f "$dir/nodes.conf" ] || fresh=1
    setsid redis-server --port "$port" --bind "$REDIS_HOST" --dir "$dir" \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 \
      --appendonly no --save "" --daemonize yes --pidfile "$dir/redis.pid" \
      --logfile "$dir/redis.log" --maxmemory-policy noeviction
  fi
done
for port in "${ports[@]}"; do
  deadline=$((SECONDS + 30))
  until [ "$(redis-cli -h "$REDIS_HOST" -p "$port" ping 2>/dev/null)" = "PONG" ]; do
    [ $SECONDS -lt $deadline ] || { log "Redis cluster node $port did not answer"; exit 1; }
    sleep 0.1
  done
done
if [ "$fresh" = 1 ] && ! redis-cli -h "$REDIS_HOST" -p "$first" cluster info | grep -q 'cluster_state:ok'; then
  log "creating Redis Cluster on $REDIS_HOST:${ports[*]}"
  redis-cli --cluster create "${ports[@]/#/$REDIS_HOST:}" --cluster-replicas 0 --cluster-yes >"$base/create.log" 2>&1 \
    || { cat "$base/create.log" >&2; exit 1; }
fi
deadline=$((SECONDS + 30))
for port in "${ports[@]}"; do
  until redis-cli -h "$REDIS_HOST" -p "$port" cluster info 2>/dev/null | grep -q 'cluster_state:ok'; do
    [ $SECONDS -lt $deadline ] || { log "Redis Cluster not ok on $port"; exit 1; }
    sleep 0.1
  done
done
log "Redis Cluster: redis://$REDIS_HOST:$first (nodes ${ports[*]}, data $base)"
