#!/usr/bin/env bash
# Makes the machine ready for the test suite. Safe to run again.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "Installing Debian's chromium and chromium-driver for the browser test..."
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  version=$(ls /etc/postgresql | head -n 1)
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $4}' | grep -q online; then
    echo "Starting PostgreSQL $version..."
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
else
  echo "PostgreSQL is not installed: the PostgreSQL tests will be skipped (under CI they fail)."
fi
