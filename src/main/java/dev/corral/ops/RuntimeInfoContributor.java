package dev.corral.ops;

import java.lang.management.ManagementFactory;
import java.lang.management.RuntimeMXBean;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.sql.DataSource;

import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.stereotype.Component;

/**
 * The parts of {@code /info} Spring Boot does not provide: which database Corral runs on and how long it has been
 * up. (Version and build time come from build-info.properties, the commit from git.properties, both written by the
 * Maven build; the Java runtime from Boot's java contributor.)
 */
@Component
class RuntimeInfoContributor implements InfoContributor {

    private final DataSource dataSource;
    private volatile Map<String, String> database;

    RuntimeInfoContributor(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public void contribute(Info.Builder builder) {
        builder.withDetail("database", database());
        RuntimeMXBean runtime = ManagementFactory.getRuntimeMXBean();
        Duration uptime = Duration.ofMillis(runtime.getUptime());
        Map<String, Object> uptimeDetails = new LinkedHashMap<>();
        uptimeDetails.put("startedAt", Instant.ofEpochMilli(runtime.getStartTime()).toString());
        uptimeDetails.put("seconds", uptime.toSeconds());
        uptimeDetails.put("text", uptime.truncatedTo(ChronoUnit.SECONDS).toString());
        builder.withDetail("uptime", uptimeDetails);
    }

    /** Kind (SQLite or PostgreSQL) and server version, read once: they do not change while Corral runs. */
    private Map<String, String> database() {
        Map<String, String> known = database;
        if (known != null) {
            return known;
        }
        try (Connection connection = dataSource.getConnection()) {
            DatabaseMetaData meta = connection.getMetaData();
            known = Map.of("kind", meta.getDatabaseProductName(), "version", meta.getDatabaseProductVersion());
            database = known;
            return known;
        } catch (SQLException e) {
            return Map.of("kind", "unknown", "error", "Cannot read the database metadata: " + e.getMessage());
        }
    }
}
