#!/usr/bin/env bash
# Start the local stack, run the three layers (tests/unit, tests/component, tests/stack) against it,
# stop the stack even on failure.
# The Soroban contracts' gates (`make contracts-test`: one build that lints, tests, builds the RPC sandbox)
# run in the background meanwhile; their output is printed at the end and their failure fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
contracts_log="var/contracts-test.log"
make --no-print-directory contracts-test >"$contracts_log" 2>&1 &
contracts_pid=$!
trap 'kill "$contracts_pid" 2>/dev/null; bash deploy/stack.sh down >/dev/null 2>&1 || true' EXIT
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
.venv/bin/python -m pytest -p no:cacheprovider -rfEs -n "${COFRE_TEST_WORKERS:-2}" --dist loadfile "$@"
rc=$?
if [ "$rc" -eq 5 ]; then echo "no tests collected"; rc=1; fi
wait "$contracts_pid"
contracts_rc=$?
echo "--- Soroban contracts (make contracts-test, $contracts_log) ---"
grep -E "^(test result|running|error|failures:|---- )" "$contracts_log" || tail -40 "$contracts_log"
if [ "$contracts_rc" -ne 0 ]; then tail -60 "$contracts_log"; echo "contracts tests failed"; exit 1; fi
exit $rc
