package dev.corral.backup;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * The file side of restoring a backup: unpack and verify a {@code .db.gz}, keep a copy of the current database, and
 * put the restored one in its place. The checks come before anything is changed.
 */
public final class BackupFiles {

    /** A backup that cannot be restored, with a message for the operator. */
    public static final class InvalidBackupException extends Exception {
        public InvalidBackupException(String message) {
            super(message, null, false, false);
        }
    }

    private BackupFiles() {
    }

    /** Gunzips {@code backup} to {@code target}; refuses what is not a complete gzip file. */
    public static void unpack(Path backup, Path target) throws InvalidBackupException, IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(backup), 1 << 16);
             OutputStream out = Files.newOutputStream(target)) {
            in.transferTo(out);
        } catch (NoSuchFileException e) {
            throw new InvalidBackupException("There is no file " + backup + ".");
        } catch (ZipException e) {
            throw new InvalidBackupException(backup + " is not a gzip file, or a damaged one (" + e.getMessage()
                    + "); Corral backups are corral-YYYYMMDD-HHMMSS-<reason>.db.gz files.");
        } catch (EOFException e) {
            throw new InvalidBackupException(backup + " is truncated: the gzip data ends early (" + e.getMessage()
                    + ").");
        }
    }

    /** Runs SQLite's {@code PRAGMA integrity_check} and requires the answer {@code ok}. */
    public static void checkIntegrity(Path database, Path backup) throws InvalidBackupException {
        try (Connection c = open(database); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery("PRAGMA integrity_check")) {
            List<String> problems = new ArrayList<>();
            while (rows.next() && problems.size() < 5) {
                problems.add(rows.getString(1));
            }
            if (!problems.equals(List.of("ok"))) {
                throw new InvalidBackupException("The database in " + backup + " fails SQLite's integrity check: "
                        + String.join("; ", problems));
            }
        } catch (SQLException e) {
            throw new InvalidBackupException(backup + " does not hold a readable SQLite database (" + e.getMessage()
                    + ").");
        }
    }

    /** True when the database has Flyway's schema history, i.e. it is a Corral database. */
    public static boolean hasSchemaHistory(Path database) throws SQLException {
        try (Connection c = open(database); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery(
                     "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'flyway_schema_history'")) {
            return rows.next() && rows.getInt(1) == 1;
        }
    }

    /** "3 users, 5 conversations, 20 messages", to show the operator what a backup holds; empty if unknown. */
    public static String contents(Path database) {
        try (Connection c = open(database); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery("SELECT (SELECT count(*) FROM users), "
                     + "(SELECT count(*) FROM conversations), (SELECT count(*) FROM messages)")) {
            rows.next();
            return rows.getLong(1) + " users, " + rows.getLong(2) + " conversations, " + rows.getLong(3)
                    + " messages";
        } catch (SQLException e) {
            return "";
        }
    }

    /**
     * Copies the database file and its -wal/-shm companions (when present) to
     * {@code <file>.before-restore-<stamp>[-wal|-shm]}; returns the copy of the main file.
     */
    public static Path keepCopy(Path database, String stamp) throws IOException {
        Path copy = database.resolveSibling(database.getFileName() + ".before-restore-" + stamp);
        for (String suffix : List.of("", "-wal", "-shm")) {
            Path file = database.resolveSibling(database.getFileName() + suffix);
            if (Files.exists(file)) {
                Files.copy(file, copy.resolveSibling(copy.getFileName() + suffix),
                        StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        return copy;
    }

    /** Puts {@code restored} in place of the database; the old -wal/-shm files would corrupt it, so they go first. */
    public static void replace(Path database, Path restored) throws IOException {
        Files.deleteIfExists(database.resolveSibling(database.getFileName() + "-wal"));
        Files.deleteIfExists(database.resolveSibling(database.getFileName() + "-shm"));
        Files.move(restored, database, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Connection open(Path database) throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:" + database.toAbsolutePath());
    }
}
