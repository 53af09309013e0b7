package dev.corral.testsupport;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The PostgreSQL server on 127.0.0.1:5432 (PG_HOST / PG_PORT / PG_USER override). Each test context gets a fresh
 * database. Without a server the PostgreSQL tests report themselves skipped, except under CI (CI=true), where a
 * missing PostgreSQL is a failure.
 */
public final class PostgresDatabase implements ExecutionCondition {

    private static final String HOST = env("PG_HOST", "127.0.0.1");
    private static final String PORT = env("PG_PORT", "5432");
    private static final String USER = env("PG_USER", "postgres");

    /** Use with {@code @ExtendWith(PostgresDatabase.class)}: skips the tests when no server runs (not under CI). */
    public PostgresDatabase() {
    }

    /** Creates an empty database and returns its URL in the postgresql://user@host:port/db form Corral accepts. */
    public static String createDatabase() {
        String name = "corral_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(adminUrl(), USER, "");
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot create a PostgreSQL database at " + HOST + ":" + PORT, e);
        }
        return "postgresql://" + USER + "@" + HOST + ":" + PORT + "/" + name;
    }

    static boolean available() {
        try (Connection c = DriverManager.getConnection(adminUrl(), USER, "")) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    private static String adminUrl() {
        return "jdbc:postgresql://" + HOST + ":" + PORT + "/postgres?connectTimeout=3";
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (available()) {
            return ConditionEvaluationResult.enabled("PostgreSQL is running");
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            // Under CI the test runs and fails loudly instead of being skipped.
            return ConditionEvaluationResult.enabled("CI: PostgreSQL is required");
        }
        return ConditionEvaluationResult.disabled("PostgreSQL is not running on " + HOST + ":" + PORT);
    }
}
