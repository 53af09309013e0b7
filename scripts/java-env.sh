# Sourced by run.sh and test.sh: finds a Java 25 JDK (the machine's default java may be older).
java_major() { "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}'; }
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(java_major "$JAVA_HOME/bin/java")" -ge 25 ] 2>/dev/null; then
  :
else
  JAVA_HOME=""
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /usr/lib/jvm/java-25* /usr/lib/jvm/*25*; do
    if [ -x "$candidate/bin/java" ] && [ "$(java_major "$candidate/bin/java")" -ge 25 ] 2>/dev/null; then
      JAVA_HOME="$candidate"
      break
    fi
  done
  if [ -z "$JAVA_HOME" ]; then
    echo "Corral needs a Java 25 JDK. Install one (e.g. Temurin 25) or set JAVA_HOME to it." >&2
    exit 1
  fi
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
if ! command -v npm >/dev/null 2>&1; then
  echo "Corral's build needs Node.js 20.19+ and npm to build the web UI." >&2
  exit 1
fi
