#!/usr/bin/env bash
# Builds Corral (web UI included) and starts it on http://127.0.0.1:${PORT:-8080}.
# Settings: environment variables or ./.env (see .env.example).
set -euo pipefail
cd "$(dirname "$0")"
. scripts/java-env.sh
./mvnw -q -B -DskipTests package
# A small heap is plenty: chats stream through, nothing large is kept in memory.
exec "$JAVA_HOME/bin/java" ${JAVA_OPTS:--Xmx256m -XX:+UseSerialGC -Xss512k} -jar target/corral.jar "$@"
