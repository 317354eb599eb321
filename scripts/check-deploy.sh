#!/usr/bin/env bash
# Checks deploy/: the compose file with `docker compose config` where Docker Compose is installed,
# and the nginx config with `nginx -t` where nginx is installed. A check that cannot run says why
# and is skipped; a check that runs and fails fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."

if docker compose version >/dev/null 2>&1; then
  AHCHAT_SELLERS='[{"id":10,"token":"check","name":"Shop"}]' docker compose -f deploy/compose.yaml config --quiet
  echo "check-deploy: docker compose config: ok"
else
  echo "check-deploy: docker compose config: skipped (Docker Compose is not installed here)"
fi

if command -v nginx >/dev/null 2>&1; then
  # The upstream names resolve only inside compose's network: test a copy that points at loopback.
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  sed -e 's/server chat[12]:8001/server 127.0.0.1:8001/' deploy/nginx.conf >"$tmp/nginx.conf"
  mkdir -p "$tmp/logs"
  nginx -q -t -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/logs/error.log" -g "pid $tmp/nginx.pid;"
  echo "check-deploy: nginx -t: ok"
else
  echo "check-deploy: nginx -t: skipped (nginx is not installed here; apt-get install nginx-light)"
fi
