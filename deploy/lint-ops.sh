#!/usr/bin/env bash
# `make lint`, operations part: the GitHub Actions workflow (actionlint) and the Helm chart (helm lint).
# A tool that is not installed is reported NOT CHECKED (deploy/tools.sh --go-tools builds both).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/tools.sh
gobin="$(PATH=/usr/local/go/bin:$PATH go env GOPATH)/bin"
if [ -x "$gobin/actionlint" ]; then
  "$gobin/actionlint" .github/workflows/*.yml
else
  echo "actionlint: NOT CHECKED (actionlint not installed)"
fi
if [ -x "$gobin/helm" ]; then
  "$gobin/helm" lint --quiet deploy/helm/cofre
else
  echo "helm lint: NOT CHECKED (helm not installed)"
fi
