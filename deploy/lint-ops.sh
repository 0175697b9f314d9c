#!/usr/bin/env bash
# `make lint`, operations part: the GitHub Actions workflow (actionlint) and the Helm chart (helm lint).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/tools.sh
gobin="$(PATH=/usr/local/go/bin:$PATH go env GOPATH)/bin"
"$gobin/actionlint" .github/workflows/*.yml
"$gobin/helm" lint --quiet deploy/helm/cofre
