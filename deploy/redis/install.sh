#!/usr/bin/env bash
# Installs redis-server from Debian packages when it is missing.
set -euo pipefail
source "$(dirname "$0")/../env.sh"
command -v redis-server >/dev/null && command -v redis-cli >/dev/null && exit 0
command -v apt-get >/dev/null || { log "redis-server is missing and apt-get is not available: install Redis 7"; exit 1; }
log "installing redis-server with apt-get ..."
as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq redis-server >/dev/null
