#!/usr/bin/env bash
# Operations tools the tests and `make lint` use, installed when missing:
#   promtool, prometheus, alertmanager, amtool: Debian packages prometheus, prometheus-alertmanager
#     (about 30 s on a fresh machine; the stack and the rule tests need them)
#   actionlint (v1.7.12), helm (v4.3.2): Go modules, `go install` into $(go env GOPATH)/bin, only with
#     COFRE_BUILD_GO_TOOLS=1 (or --go-tools): actionlint takes one to two minutes to fetch and build
#     on a fresh machine, helm about twenty, too long for CI. Without them the checks that need them
#     print NOT CHECKED (make lint) or are skipped with that reason (tests): none passes in their name.
# Prints nothing when everything is there.
set -euo pipefail
export PATH="/usr/local/go/bin:$HOME/go/bin:$PATH"
[ "${1:-}" = "--go-tools" ] && COFRE_BUILD_GO_TOOLS=1
need_apt=()
command -v promtool >/dev/null || need_apt+=(prometheus)
command -v amtool >/dev/null || need_apt+=(prometheus-alertmanager)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "tools: apt-get install ${need_apt[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
gobin="$(go env GOPATH)/bin"
for tool in actionlint helm; do
  [ -x "$gobin/$tool" ] && continue
  case "$tool" in
    actionlint) module=github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 ;;
    helm) module=helm.sh/helm/v4/cmd/helm@v4.3.2 ;;
  esac
  if [ "${COFRE_BUILD_GO_TOOLS:-0}" = "1" ]; then
    echo "tools: go install $module"
    go install "$module"
  else
    echo "tools: $tool NOT CHECKED: not installed (COFRE_BUILD_GO_TOOLS=1 bash deploy/tools.sh builds it)"
  fi
done
