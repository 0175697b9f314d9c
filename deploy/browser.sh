#!/usr/bin/env bash
# A headless Chromium for tests/unit/test_docs_offline.py (/docs and /redoc rendered with no network).
# Debian's package; installed only when no Chromium is on PATH (apt needs root, as on CI).
set -euo pipefail
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then exit 0; fi
done
if [ "$(id -u)" -ne 0 ]; then
  echo "no Chromium on PATH: install Debian's 'chromium' package (apt-get install -y chromium)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium
