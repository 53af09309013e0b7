package dev.corral.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Which database DATABASE_URL selects: SQLite ({@code corral.db} in the data directory, or a {@code jdbc:sqlite:}
 * URL) or PostgreSQL. Backups, restore and the data-directory lock only apply to SQLite.
 */
public final class DatabaseLocation {

    public static final String SQLITE_FILE_NAME = "corral.db";

    private DatabaseLocation() {
    }

    public static boolean isSqlite(CorralProperties properties) {
        String url = url(properties);
        return url.isEmpty() || url.startsWith("jdbc:sqlite:");
    }

    /** The SQLite database file (which may not exist yet); empty for PostgreSQL or an in-memory SQLite database. */
    public static Optional<Path> sqliteFile(CorralProperties properties) {
        String url = url(properties);
        if (url.isEmpty()) {
            return Optional.of(properties.dataDir().resolve(SQLITE_FILE_NAME).toAbsolutePath());
        }
        if (!url.startsWith("jdbc:sqlite:")) {
            return Optional.empty();
        }
        String file = url.substring("jdbc:sqlite:".length());
        if (file.startsWith("file:")) {
            file = file.substring("file:".length());
        }
        int query = file.indexOf('?');
        if (query >= 0) {
            file = file.substring(0, query);
        }
        if (file.isEmpty() || file.equals(":memory:")) {
            return Optional.empty();
        }
        return Optional.of(Path.of(file).toAbsolutePath());
    }

    private static String url(CorralProperties properties) {
        return properties.databaseUrl() == null ? "" : properties.databaseUrl().trim();
    }
}
