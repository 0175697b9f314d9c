#!/usr/bin/env bash
# The mobile app's tests (`make test-app`, run by `make test`): installs Debian's chromium if absent,
# `npm ci` from mobile/package-lock.json, the jest-expo unit/component tests, the web export, and
# the browser end-to-end test against the real gateway (mobile/e2e/). Prints the figures it measures.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
secs() { echo $(( $(date +%s) - $1 )); }

need_node() {
  command -v node >/dev/null 2>&1 || { echo "node (>= 20.19) is required for the app tests"; exit 1; }
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
    || { echo "node >= 20.19 is required (found $(node --version))"; exit 1; }
}

install_chromium() {
  [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ] && return 0
  command -v chromium >/dev/null 2>&1 && return 0
  echo "installing Debian's chromium (the e2e browser; browser downloads are not possible here)"
  local SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
}

need_node
install_chromium
export CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium)}"
export CI=1 EXPO_NO_TELEMETRY=1 EXPO_OFFLINE=1
export COFRE_PYTHON="${COFRE_PYTHON:-$ROOT/.venv/bin/python}"
export COFRE_E2E_HOME="${COFRE_E2E_HOME:-$ROOT/var/e2e/home}"

# the e2e's gateway home (small world, Feast, three trained models: ~2 min of Python) is built in the
# background while npm ci, jest and the export run; the e2e then finds it ready (its stamp matches)
mkdir -p "$ROOT/var/e2e"
t_home=$(date +%s)
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" "$COFRE_PYTHON" mobile/e2e/prepare_home.py --home "$COFRE_E2E_HOME" \
  >"$ROOT/var/e2e/prepare.log" 2>&1 &
home_pid=$!
trap 'kill "$home_pid" 2>/dev/null || true' EXIT  # a failed step must not leave it running
cd mobile

t=$(date +%s)
npm ci --no-audit --no-fund --loglevel=error
echo "app: npm ci in $(secs "$t") s"

t=$(date +%s)
npx tsc --noEmit
npx jest --ci --maxWorkers=2
echo "app: typecheck + jest in $(secs "$t") s"

t=$(date +%s)
rm -rf dist
npx expo export --platform web --output-dir dist >/dev/null
echo "app: web export in $(secs "$t") s; bundle $(du -sk dist/_expo/static/js | cut -f1) KiB JS, $(du -sk dist | cut -f1) KiB total ($(gzip -c dist/_expo/static/js/web/entry-*.js | wc -c | awk '{printf "%d KiB gzip entry", $1/1024}'))"

t=$(date +%s)
if ! wait "$home_pid"; then cat "$ROOT/var/e2e/prepare.log"; echo "app: preparing the e2e home failed"; exit 1; fi
echo "app: e2e home ready $(secs "$t_home") s after the start (waited $(secs "$t") s for it)"

t=$(date +%s)
node --test --test-reporter=spec e2e/
echo "app: browser e2e in $(secs "$t") s"
