#!/usr/bin/env bash
# Streaming-relay benchmark (or, with `ratelimit` first, the rate-limit check benchmark): builds Corral (jar + test classes), compiles bench/src and runs
# dev.corral.bench.RelayBenchmark. Arguments go to the benchmark (see bench/README.md), e.g.
#   bench/run.sh --levels 1,100,1000 --token-delay-ms 20 --tokens 100
# Environment: BENCH_SKIP_BUILD=1 (reuse target/), BENCH_MAVEN_ARGS (extra Maven arguments, e.g. "-o -Dskip.web=true"),
# BENCH_JVM_OPTS (the load generator's JVM), CORRAL_JAVA_OPTS (Corral's JVM; default: run.sh's JAVA_OPTS default).
#
# `bench/run.sh backup [--size-mb 100] [--runs 3]` runs dev.corral.bench.BackupBenchmark instead (bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
main=dev.corral.bench.RelayBenchmark
if [ "${1:-}" = backup ]; then
  shift
  main=dev.corral.bench.BackupBenchmark
fi
. scripts/java-env.sh

# 1,000 chats via Corral plus 1,000 direct ones need a few thousand sockets in this process.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 8192 ]; then
  echo "warning: only $(ulimit -n) file descriptors; 1,000 concurrent chats may fail for lack of sockets" >&2
fi

out=target/bench
# shellcheck disable=SC2086
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  echo "Building Corral (./mvnw -q -DskipTests package test-compile ${BENCH_MAVEN_ARGS:-})..."
  ./mvnw -q -B -DskipTests ${BENCH_MAVEN_ARGS:-} package test-compile
fi
if [ ! -f target/corral.jar ] || [ ! -d target/test-classes ]; then
  echo "target/corral.jar or target/test-classes missing: run without BENCH_SKIP_BUILD=1" >&2
  exit 1
fi
mkdir -p "$out"
# shellcheck disable=SC2086
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ] || [ ! -s "$out/classpath.txt" ]; then
  ./mvnw -q -B ${BENCH_MAVEN_ARGS:-} dependency:build-classpath -Dmdep.outputFile="$out/classpath.txt" \
    -Dmdep.includeScope=test
fi
cp="target/classes:target/test-classes:$(cat "$out/classpath.txt")"
rm -rf "$out/classes"
"$JAVA_HOME/bin/javac" -nowarn -d "$out/classes" -cp "$cp" $(find bench/src -name '*.java')

# `bench/run.sh ratelimit [--checks N]`: the cost of one rate-limit check (dev.corral.bench.RateLimitBenchmark).
if [ "${1:-}" = ratelimit ]; then
  shift
  # shellcheck disable=SC2086
  exec "$JAVA_HOME/bin/java" ${BENCH_JVM_OPTS:--Xms1g -Xmx1g -XX:+UseG1GC} -cp "$out/classes:$cp" \
    dev.corral.bench.RateLimitBenchmark "$@"
fi

# The load generator and the in-process stand-in Ollama: a fixed heap so it does not grow (and pause) mid-run.
# shellcheck disable=SC2086
exec "$JAVA_HOME/bin/java" ${BENCH_JVM_OPTS:--Xms1g -Xmx1g -XX:+UseG1GC} -cp "$out/classes:$cp" \
  "$main" "$@"
