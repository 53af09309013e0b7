package dev.corral.migration;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.MigrationVersion;

import dev.corral.config.StartupRefusedException;

/**
 * Where a database's schema stands against the migrations this Corral carries, from Flyway's view of both:
 * which are applied, which are pending, and which are applied but unknown here (a newer Corral wrote them).
 */
public record SchemaVersions(
        /* Null when the database has no migration applied yet (a new database). */
        MigrationVersion current,
        /* The newest migration this Corral knows. */
        MigrationVersion latest,
        List<MigrationInfo> all,
        List<MigrationInfo> applied,
        List<MigrationInfo> pending,
        List<MigrationInfo> future) {

    public static SchemaVersions of(Flyway flyway) {
        MigrationInfoService info = flyway.info();
        List<MigrationInfo> all = List.of(info.all());
        List<MigrationInfo> future = all.stream().filter(m -> m.getState() == MigrationState.FUTURE_SUCCESS
                || m.getState() == MigrationState.FUTURE_FAILED).toList();
        MigrationVersion latest = all.stream().filter(m -> m.getState().isResolved() && m.getVersion() != null)
                .map(MigrationInfo::getVersion).max(Comparator.naturalOrder()).orElse(MigrationVersion.EMPTY);
        MigrationVersion current = info.current() == null ? null : info.current().getVersion();
        return new SchemaVersions(current, latest, all, List.of(info.applied()), Arrays.asList(info.pending()),
                future);
    }

    public boolean isNewerThanCorral() {
        return !future.isEmpty();
    }

    public boolean isNew() {
        return applied.isEmpty();
    }

    /** "1", or "none" for a database without any migration. */
    public String currentText() {
        return current == null ? "none" : current.getVersion();
    }

    /** The one-line refusal for a database written by a newer Corral. */
    public String newerMessage(String where) {
        return "The database at " + where + " has schema version " + currentText() + ", newer than this Corral ("
                + latest.getVersion() + "). Use a newer Corral or restore a backup.";
    }

    public StartupRefusedException newerRefusal(String where) {
        return new StartupRefusedException(newerMessage(where), "Run a Corral release that knows schema version "
                + currentText() + ", or stop Corral and restore a backup made before the upgrade: "
                + "java -jar corral.jar restore <backup.db.gz> (see DEPLOYMENT.md).");
    }

    /** What {@code pending} migrations would do, e.g. "1 migration (1.1 add a column)". */
    public String pendingText() {
        String list = String.join(", ", pending.stream()
                .map(m -> Objects.toString(m.getVersion(), "repeatable") + " " + m.getDescription()).toList());
        return pending.size() + (pending.size() == 1 ? " migration" : " migrations") + " (" + list + ")";
    }

    /** The database a Flyway instance works on, as an operator recognizes it: a file path or a JDBC URL. */
    public static String describe(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            String url = connection.getMetaData().getURL();
            if (url == null) {
                return "(unknown)";
            }
            if (url.startsWith("jdbc:sqlite:")) {
                return url.substring("jdbc:sqlite:".length());
            }
            // Never show credentials a URL might carry in its query string.
            int query = url.indexOf('?');
            return query < 0 ? url : url.substring(0, query);
        } catch (SQLException e) {
            return "(unreachable: " + e.getMessage() + ")";
        }
    }
}
