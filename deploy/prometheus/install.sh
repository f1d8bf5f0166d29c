#!/usr/bin/env bash
# Installs Prometheus (and promtool) from Debian packages when missing; the tests use both.
set -euo pipefail
source "$(dirname "$0")/../env.sh"
command -v prometheus >/dev/null && command -v promtool >/dev/null && exit 0
command -v apt-get >/dev/null || { log "prometheus is missing and apt-get is not available"; exit 1; }
log "installing prometheus with apt-get ..."
as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq prometheus >/dev/null
