#!/usr/bin/env bash
# Local stack of real servers on 127.0.0.1: PostgreSQL 15, FerretDB (MongoDB protocol), SeaweedFS S3,
# and the monitoring (Prometheus, Alertmanager, the alert webhook receiver).
# usage: deploy/stack.sh up|down|status [--json]|env (orchestration lives in deploy/stack.py)
# `env` prints the stack profile's explicit secrets as export lines: eval "$(bash deploy/stack.sh env)"
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# COFRE_HOME: as lake.settings reads it; relative values are taken from the caller's directory,
# unset means <repo>/var.
if [ -n "${COFRE_HOME:-}" ]; then
  case "$COFRE_HOME" in /*) ;; *) COFRE_HOME="$PWD/$COFRE_HOME" ;; esac
else
  COFRE_HOME="$repo/var"
fi
export COFRE_HOME
export PATH="/usr/local/go/bin:$PATH"
py="$repo/.venv/bin/python"
if [ ! -x "$py" ]; then
  echo "stack: $py missing; run \`make env\` (uv sync) first" >&2
  exit 1
fi
case "${1:-}" in
  up|down|status|env) ;;
  *) echo "usage: $0 up|down|status [--json]|env" >&2; exit 2 ;;
esac
cd "$repo"
exec "$py" deploy/stack.py "$@"
