#!/usr/bin/env bash
# Installs what `make test` needs on a fresh Debian machine: redis-server,
# redis-cli and redis-sentinel (Redis Cluster and Sentinel tests), php-cli +
# php-curl, composer (the PHP client's tests install clients/php with it),
# nginx, HAProxy, Chromium and promtool (in the prometheus package: it
# checks deploy/prometheus) from Debian; the npm clients for the end-to-end
# and interop tests, and the OpenAPI validator (test/openapi). Each step is
# skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-cli >/dev/null || need+=(redis-tools)
command -v redis-sentinel >/dev/null || need+=(redis-sentinel)
command -v php >/dev/null || need+=(php-cli)
command -v composer >/dev/null || need+=(composer)
# grep reads all of php -m: with -q it would quit early, php would get SIGPIPE and
# pipefail would call the extension missing.
{ command -v php >/dev/null && php -m 2>/dev/null | grep -i '^curl$' >/dev/null; } || need+=(php-curl)
command -v nginx >/dev/null || need+=(nginx-light)
command -v haproxy >/dev/null || need+=(haproxy)
command -v chromium >/dev/null || need+=(chromium)
command -v promtool >/dev/null || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "test/deps.sh: missing ${need[*]}; run as root or install them" >&2
    exit 1
  fi
  echo "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

for dir in test/e2e test/interop test/openapi; do
  [ -f "$dir/package.json" ] || continue
  stamp=$dir/node_modules/.installed
  if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed)
  fi
done
