#!/usr/bin/env bash
# Operations tools the tests and `make lint` use, installed when missing:
#   promtool, prometheus, alertmanager, amtool: Debian packages prometheus, prometheus-alertmanager
#   helm (v4.3.2), actionlint (v1.7.12): Go modules, `go install` into $(go env GOPATH)/bin
# Prints nothing when everything is there; a fresh machine spends a few minutes building helm.
set -euo pipefail
export PATH="/usr/local/go/bin:$HOME/go/bin:$PATH"
need_apt=()
command -v promtool >/dev/null || need_apt+=(prometheus)
command -v amtool >/dev/null || need_apt+=(prometheus-alertmanager)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "tools: apt-get install ${need_apt[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
gobin="$(go env GOPATH)/bin"
[ -x "$gobin/helm" ] || { echo "tools: go install helm v4.3.2"; go install helm.sh/helm/v4/cmd/helm@v4.3.2; }
[ -x "$gobin/actionlint" ] || { echo "tools: go install actionlint v1.7.12"; go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12; }
