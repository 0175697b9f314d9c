#!/usr/bin/env bash
# Start the local stack, run the three layers (tests/unit, tests/component, tests/stack) against it,
# stop the stack even on failure.
set -uo pipefail
cd "$(dirname "$0")/.."
trap 'bash deploy/stack.sh down >/dev/null 2>&1 || true' EXIT
bash deploy/tools.sh || { echo "installing the operations tools failed"; exit 1; }
bash deploy/stack.sh up || { echo "stack-up failed"; exit 1; }
bash deploy/browser.sh || { echo "no headless Chromium for the /docs test"; exit 1; }
# The stack profile refuses to start without explicit secrets: use the caller's COFRE_SECRET_KEY, else
# the stack's own (created by `up`, mode 0600, under $COFRE_HOME/stack/secrets.env).
if [ -z "${COFRE_SECRET_KEY:-}" ]; then
  stack_env="$(bash deploy/stack.sh env)" || { echo "stack secrets unavailable"; exit 1; }
  eval "$stack_env"
fi
# Two workers (the machine has 2 cores); files stay on one worker so module fixtures are shared.
.venv/bin/python -m pytest -p no:cacheprovider -rs -n "${COFRE_TEST_WORKERS:-2}" --dist loadfile "$@"
rc=$?
if [ "$rc" -eq 5 ]; then echo "no tests collected"; exit 1; fi
exit $rc
