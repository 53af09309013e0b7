package dev.corral.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;

import org.flywaydb.core.Flyway;
import org.springframework.boot.flyway.autoconfigure.FlywayProperties;
import org.springframework.context.ConfigurableApplicationContext;

import dev.corral.backup.BackupFiles;
import dev.corral.backup.DataDirectoryLock;
import dev.corral.config.CorralProperties;
import dev.corral.config.DatabaseLocation;
import dev.corral.migration.SchemaVersions;

/**
 * {@code restore FILE}: verifies the backup (gzip, SQLite integrity check, a Corral schema no newer than this
 * Corral's), keeps a copy of the current database as {@code corral.db.before-restore-<time>}, and puts the backup in
 * its place. Refuses while a Corral runs on the data directory (it holds {@code .corral.lock}). Nothing is changed
 * until every check has passed.
 */
final class RestoreCommand implements Commands.Command {

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT);

    private final Path backup;

    RestoreCommand(String backup) {
        this.backup = Path.of(backup).toAbsolutePath();
    }

    static String runningMessage(Path dataDir, Path lockFile) {
        return "Corral is running on " + dataDir.toAbsolutePath() + " (another process holds " + lockFile
                + "). Stop Corral first, then run the command again.";
    }

    @Override
    public int run(ConfigurableApplicationContext context, PrintStream out, PrintStream err) {
        CorralProperties properties = context.getBean(CorralProperties.class);
        Optional<Path> sqliteFile = DatabaseLocation.sqliteFile(properties);
        if (sqliteFile.isEmpty()) {
            err.println("Corral restores SQLite backups only; for PostgreSQL use pg_restore (see DEPLOYMENT.md).");
            return Commands.FAILED;
        }
        if (!Files.isRegularFile(backup)) {
            err.println("There is no file " + backup + ".");
            return Commands.FAILED;
        }
        Path database = sqliteFile.get();
        DataDirectoryLock.Result locked = DbCommands.lock(properties.dataDir());
        if (locked.lock() == null) {
            err.println(runningMessage(properties.dataDir(), locked.file()));
            return Commands.FAILED;
        }
        String stamp = STAMP.format(LocalDateTime.now());
        Path unpacked = database.resolveSibling("." + database.getFileName() + ".restore-" + stamp + ".tmp");
        try {
            return restore(context, database, unpacked, stamp, out, err);
        } catch (IOException e) {
            err.println("Restore failed, the current database is unchanged: " + e.getMessage());
            return Commands.FAILED;
        } finally {
            deleteQuietly(unpacked);
            DbCommands.close(locked.lock());
        }
    }

    private int restore(ConfigurableApplicationContext context, Path database, Path unpacked, String stamp,
                        PrintStream out, PrintStream err) throws IOException {
        boolean hadDatabase = Files.exists(database);
        Files.createDirectories(database.getParent());
        String version;
        try {
            BackupFiles.unpack(backup, unpacked);
            BackupFiles.checkIntegrity(unpacked, backup);
            if (!BackupFiles.hasSchemaHistory(unpacked)) {
                err.println(backup + " is not a Corral backup: its database has no flyway_schema_history table.");
                return Commands.FAILED;
            }
            // Flyway with the server's migration settings, pointed at the unpacked backup. The current database is
            // not opened through the pool: it may be the broken one this restore replaces.
            FlywayProperties settings = context.getBean(FlywayProperties.class);
            SchemaVersions schema = SchemaVersions.of(Flyway.configure(getClass().getClassLoader())
                    .locations(settings.getLocations().toArray(String[]::new))
                    .table(settings.getTable())
                    .dataSource("jdbc:sqlite:" + unpacked, "", "")
                    .load());
            if (schema.isNewerThanCorral()) {
                err.println("Refused: the backup has schema version " + schema.currentText()
                        + ", newer than this Corral (" + schema.latest().getVersion() + "). Restore it with a newer "
                        + "Corral.");
                return Commands.FAILED;
            }
            version = schema.currentText() + (schema.pending().isEmpty() ? ""
                    : "; Corral migrates it to " + schema.latest().getVersion() + " on its next start");
        } catch (BackupFiles.InvalidBackupException e) {
            err.println("Refused: " + e.getMessage());
            return Commands.FAILED;
        } catch (SQLException e) {
            err.println("Refused: cannot read the database in " + backup + " (" + e.getMessage() + ").");
            return Commands.FAILED;
        }
        String contents = BackupFiles.contents(unpacked);

        if (hadDatabase) {
            checkpoint(database, err);
        }
        Path kept = hadDatabase ? BackupFiles.keepCopy(database, stamp) : null;
        BackupFiles.replace(database, unpacked);

        out.println("Restored " + backup + " (schema version " + version + (contents.isEmpty() ? "" : "; " + contents)
                + ") to " + database + ".");
        if (kept != null) {
            out.println("The previous database is kept as " + kept + ".");
        }
        out.println("Start Corral as usual.");
        return Commands.OK;
    }

    /** Folds the write-ahead log into the main file, so that the copy kept is the whole current database. */
    private static void checkpoint(Path database, PrintStream err) {
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + database);
             Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA wal_checkpoint(TRUNCATE)");
        } catch (SQLException e) {
            // A damaged current database is a good reason to restore: keep its files as they are.
            err.println("Note: cannot checkpoint the current database (" + e.getMessage() + "); its -wal and -shm "
                    + "files are kept with the copy.");
        }
    }

    private static void deleteQuietly(Path file) {
        for (String suffix : new String[] {"", "-wal", "-shm", "-journal"}) {
            try {
                Files.deleteIfExists(file.resolveSibling(file.getFileName() + suffix));
            } catch (IOException ignored) {
                // A leftover hidden temporary file is harmless.
            }
        }
    }
}
