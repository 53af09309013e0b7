#!/usr/bin/env bash
# Runs the whole test suite: unit, integration (SQLite and PostgreSQL), architecture and browser tests.
# Installs what a fresh machine lacks: Debian's Chromium and ChromeDriver for the browser test; starts the local
# PostgreSQL server if it is installed but stopped.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/java-env.sh
scripts/prepare-test-machine.sh
./mvnw -B verify "$@"
