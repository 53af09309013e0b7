# syntax=docker/dockerfile:1
# Corral in a container. Build: docker build -t corral .   Run: docker compose up -d (docker-compose.yml).
# See DEPLOYMENT.md.

# ---- build: the same ./mvnw package as on a workstation (JDK 25 + Node.js for the web UI)
FROM eclipse-temurin:25-jdk AS build
COPY --from=node:22-bookworm-slim /usr/local/bin/node /usr/local/bin/node
COPY --from=node:22-bookworm-slim /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
WORKDIR /src
# Dependencies first, so that a source change does not download them again.
COPY mvnw pom.xml ./
COPY .mvn .mvn
RUN ./mvnw -B -q dependency:go-offline
COPY web/package.json web/package-lock.json web/
RUN cd web && npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN ./mvnw -B -q -DskipTests package && cp target/corral.jar /corral.jar

# ---- runtime: a JRE, curl for the health check, an unprivileged user, the data directory as a volume
FROM eclipse-temurin:25-jre
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin corral \
    && mkdir -p /data /app && chown corral:corral /data
COPY --from=build /corral.jar /app/corral.jar
# A new named volume takes /data's owner from the image, so the corral user can write it.
VOLUME /data
ENV CORRAL_DATA_DIR=/data \
    PORT=8080 \
    BIND_ADDRESS=0.0.0.0
WORKDIR /app
USER corral
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${PORT}/health/live" >/dev/null || exit 1
# Exec form: Corral is PID 1 and gets SIGTERM itself (graceful shutdown, exit 0). Arguments after the image name
# go to Corral, e.g. `docker compose run --rm corral db status`. Extra JVM options: JAVA_TOOL_OPTIONS.
# Native access: the SQLite driver loads its native library (silences the JDK's warning).
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+UseSerialGC", "-Xss512k", "--enable-native-access=ALL-UNNAMED", \
            "-jar", "/app/corral.jar"]
