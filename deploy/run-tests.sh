#!/usr/bin/env bash
# Start the local stack, run unit + integration tests against it, stop the stack even on failure.
set -uo pipefail
cd "$(dirname "$0")/.."
trap 'bash deploy/stack.sh down >/dev/null 2>&1 || true' EXIT
bash deploy/stack.sh up || { echo "stack-up failed"; exit 1; }
.venv/bin/python -m pytest -p no:cacheprovider "$@"
rc=$?
if [ "$rc" -eq 5 ]; then echo "no tests collected"; exit 1; fi
exit $rc
