# Sourced by the deploy scripts: where things run and where their data and logs live.
# Every value can be overridden from the environment, which is how the test suite runs
# its own Kafka and Redis beside a `make run` stack without touching it.
ROUTER_ROOT="${ROUTER_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
ROUTER_VAR="${ROUTER_VAR:-$ROUTER_ROOT/var}"
KAFKA_HOST="${KAFKA_HOST:-127.0.0.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
REDIS_HOST="${REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${REDIS_PORT:-6379}"
KAFKA_DIR="$ROUTER_VAR/kafka"
REDIS_DIR="$ROUTER_VAR/redis"
LOG_DIR="$ROUTER_VAR/log"
KAFKA_LIB="$ROUTER_ROOT/deploy/kafka/lib"

log() { printf '%s\n' "$*" >&2; }

# Root needs no sudo; anyone else gets it only if it is there.
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Sends TERM, then waits up to $2 seconds before KILL, so a broker gets to flush.
stop_pid() {
  local pidfile="$1" grace="${2:-30}" pid
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq $((grace * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  rm -f "$pidfile"
}
