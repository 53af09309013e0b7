package dev.corral.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateResult;
import org.springframework.context.ConfigurableApplicationContext;

import dev.corral.backup.BackupService;
import dev.corral.backup.DataDirectoryLock;
import dev.corral.config.CorralProperties;
import dev.corral.config.DatabaseLocation;
import dev.corral.migration.SchemaVersions;
import dev.corral.web.ApiException;

/** {@code db status} and {@code db migrate}. */
final class DbCommands {

    private DbCommands() {
    }

    /** Prints where the schema stands: every migration with its version, description, state and install time. */
    static final class Status implements Commands.Command {
        @Override
        public int run(ConfigurableApplicationContext context, PrintStream out, PrintStream err) {
            CorralProperties properties = context.getBean(CorralProperties.class);
            Optional<Path> file = DatabaseLocation.sqliteFile(properties);
            if (file.isPresent() && !Files.exists(file.get())) {
                out.println("No database at " + file.get() + " yet: Corral creates it on its first start.");
                return Commands.OK;
            }
            Flyway flyway = context.getBean(Flyway.class);
            SchemaVersions schema = SchemaVersions.of(flyway);
            out.println("Database:       " + SchemaVersions.describe(flyway.getConfiguration().getDataSource()));
            out.println("Schema version: " + schema.currentText() + " (this Corral: " + schema.latest().getVersion()
                    + ")");
            out.println();
            printTable(schema.all(), out);
            out.println();
            if (schema.isNewerThanCorral()) {
                out.println("The database is newer than this Corral: use a newer Corral or restore a backup.");
            } else if (schema.pending().isEmpty()) {
                out.println("Up to date.");
            } else {
                out.println(schema.pendingText().replaceFirst(" \\(.*", "") + " pending: run `java -jar corral.jar "
                        + "db migrate`, or start Corral (it migrates on start unless DB_MIGRATE_ON_START=false).");
            }
            return Commands.OK;
        }

        private static void printTable(List<MigrationInfo> migrations, PrintStream out) {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"Version", "Description", "State", "Installed on"});
            DateTimeFormatter time = DateTimeFormatter.ISO_INSTANT;
            for (MigrationInfo m : migrations) {
                rows.add(new String[] {Objects.toString(m.getVersion(), ""), m.getDescription(),
                        m.getState().getDisplayName(),
                        m.getInstalledOn() == null ? ""
                                : time.format(m.getInstalledOn().toInstant().truncatedTo(ChronoUnit.SECONDS))});
            }
            int[] widths = new int[4];
            for (String[] row : rows) {
                for (int i = 0; i < 4; i++) {
                    widths[i] = Math.max(widths[i], row[i].length());
                }
            }
            for (String[] row : rows) {
                out.println(String.format("%-" + widths[0] + "s  %-" + widths[1] + "s  %-" + widths[2] + "s  %s",
                        (Object[]) row).stripTrailing());
            }
        }
    }

    /** Backs up (SQLite) and applies pending migrations; refuses while a Corral runs on the data directory. */
    static final class Migrate implements Commands.Command {
        @Override
        public int run(ConfigurableApplicationContext context, PrintStream out, PrintStream err) {
            CorralProperties properties = context.getBean(CorralProperties.class);
            DataDirectoryLock lock = null;
            if (DatabaseLocation.isSqlite(properties)) {
                DataDirectoryLock.Result result = lock(properties.dataDir());
                if (result.lock() == null) {
                    err.println(RestoreCommand.runningMessage(properties.dataDir(), result.file()));
                    return Commands.FAILED;
                }
                lock = result.lock();
            }
            try {
                return migrate(context, out, err);
            } finally {
                close(lock);
            }
        }

        private static int migrate(ConfigurableApplicationContext context, PrintStream out, PrintStream err) {
            Flyway flyway = context.getBean(Flyway.class);
            BackupService backups = context.getBean(BackupService.class);
            SchemaVersions schema = SchemaVersions.of(flyway);
            String where = SchemaVersions.describe(flyway.getConfiguration().getDataSource());
            if (schema.isNewerThanCorral()) {
                err.println(schema.newerMessage(where));
                return Commands.FAILED;
            }
            if (schema.pending().isEmpty()) {
                out.println("Nothing to migrate: the database at " + where + " is at schema version "
                        + schema.currentText() + ".");
                return Commands.OK;
            }
            if (!schema.isNew()) {
                if (backups.supported()) {
                    try {
                        BackupService.Backup backup = backups.create(BackupService.Reason.PRE_MIGRATION);
                        out.println("Backed up the database to " + backup.file());
                    } catch (ApiException e) {
                        err.println("Nothing was migrated: " + e.getMessage());
                        return Commands.FAILED;
                    }
                } else {
                    out.println("Corral does not back up PostgreSQL: make sure you have a pg_dump from before this "
                            + "migration (see DEPLOYMENT.md).");
                }
            }
            out.println("Applying " + schema.pendingText() + " to " + where + "...");
            MigrateResult result = flyway.migrate();
            out.println("Applied " + result.migrationsExecuted + " migration(s); the schema is now at version "
                    + result.targetSchemaVersion + ".");
            return Commands.OK;
        }
    }

    static DataDirectoryLock.Result lock(Path dataDir) {
        try {
            return DataDirectoryLock.tryAcquire(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot lock the data directory " + dataDir + ": " + e.getMessage(), e);
        }
    }

    static void close(DataDirectoryLock lock) {
        if (lock != null) {
            try {
                lock.close();
            } catch (IOException ignored) {
                // The lock goes with the process anyway.
            }
        }
    }
}
