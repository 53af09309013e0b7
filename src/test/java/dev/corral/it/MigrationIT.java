package dev.corral.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;

import tools.jackson.databind.JsonNode;

import dev.corral.testsupport.InProcessCorral;
import dev.corral.testsupport.InProcessCorral.CommandResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Schema migrations on start and with {@code db status} / {@code db migrate}. An "older" database is one created at
 * Corral's latest version while the Corral under test also carries a test-only migration 500 (db/test-upgrade); a "newer" one was
 * migrated with a test-only version 999 (db/test-future) this Corral does not know.
 */
class MigrationIT {

    private static final String MAIN = "classpath:db/migration";
    private static final String WITH_UPGRADE = "--spring.flyway.locations=" + MAIN + ",classpath:db/test-upgrade";

    /** The newest version among Corral's own migrations (the highest V<n>__ file in db/migration). */
    private static final String MAIN_LATEST = mainLatestVersion();

    @TempDir
    Path dataDir;

    private static String mainLatestVersion() {
        try (Stream<Path> files = Files.list(Path.of(MigrationIT.class.getResource("/db/migration").toURI()))) {
            return files.map(f -> f.getFileName().toString())
                    .filter(n -> n.matches("V\\d+__.*\\.sql"))
                    .map(n -> Integer.parseInt(n.substring(1, n.indexOf("__"))))
                    .max(Integer::compare).map(String::valueOf).orElseThrow();
        } catch (IOException | java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void startingOnAnOlderDatabaseBacksItUpThenMigratesIt() throws Exception {
        migrate(dataDir, MAIN_LATEST, MAIN);
        insertAdmin(dataDir); // the account made before the upgrade, as a V1 Corral would have stored it

        try (ConfigurableApplicationContext corral = InProcessCorral.start(dataDir, WITH_UPGRADE)) {
            assertThat(schemaVersion(dataDir.resolve("corral.db"))).isEqualTo("500");
            List<Path> backups = backups(dataDir);
            assertThat(backups).hasSize(1);
            assertThat(backups.getFirst().getFileName().toString())
                    .matches("corral-\\d{8}-\\d{6}-pre-migration\\.db\\.gz");
            // The backup holds the database as it was before the migration.
            Path unpacked = gunzip(backups.getFirst(), dataDir.resolve("unpacked.db"));
            assertThat(schemaVersion(unpacked)).isEqualTo(MAIN_LATEST);
            assertThat(userCount(unpacked, InProcessCorral.ADMIN)).isEqualTo(1);

            JsonNode status = InProcessCorral.admin(corral).get("/backup/status").body();
            assertThat(status.path("backups").get(0).path("reason").asString()).isEqualTo("pre-migration");
        }
        // Nothing pending on the next start: no new backup.
        try (ConfigurableApplicationContext corral = InProcessCorral.start(dataDir, WITH_UPGRADE)) {
            assertThat(backups(dataDir)).hasSize(1);
        }
    }

    @Test
    void aNewDatabaseIsCreatedWithoutABackup() throws Exception {
        try (ConfigurableApplicationContext corral = InProcessCorral.start(dataDir)) {
            assertThat(schemaVersion(dataDir.resolve("corral.db"))).isEqualTo(MAIN_LATEST);
            assertThat(backups(dataDir)).isEmpty();
        }
    }

    @Test
    void withMigrateOnStartOffPendingMigrationsStopTheStartAndNothingChanges() throws Exception {
        migrate(dataDir, MAIN_LATEST, MAIN);

        assertThatThrownBy(() -> InProcessCorral.start(dataDir, WITH_UPGRADE, "--corral.migration.on-start=false"))
                .satisfies(e -> assertThat(messages(e))
                        .contains("is at schema version " + MAIN_LATEST + " and needs 1 migration (500 test only column)")
                        .contains("DB_MIGRATE_ON_START=false"));
        assertThat(schemaVersion(dataDir.resolve("corral.db"))).isEqualTo(MAIN_LATEST);
        assertThat(backups(dataDir)).isEmpty();
    }

    @Test
    void corralRefusesToStartOnADatabaseFromANewerCorral() throws Exception {
        migrate(dataDir, "latest", MAIN, "classpath:db/test-future");

        assertThatThrownBy(() -> InProcessCorral.start(dataDir))
                .satisfies(e -> assertThat(messages(e)).contains("The database at "
                        + dataDir.resolve("corral.db").toAbsolutePath() + " has schema version 999, newer than "
                        + "this Corral (").contains("Use a newer Corral or restore a backup."));
        assertThat(schemaVersion(dataDir.resolve("corral.db"))).isEqualTo("999");

        CommandResult status = InProcessCorral.command("db", "status", "--corral.data-dir=" + dataDir);
        assertThat(status.exitCode()).isZero();
        assertThat(status.out()).contains("999").contains("Future").contains("newer than this Corral");
        CommandResult migrate = InProcessCorral.command("db", "migrate", "--corral.data-dir=" + dataDir);
        assertThat(migrate.exitCode()).isEqualTo(1);
        assertThat(migrate.err()).contains("has schema version 999, newer than this Corral");

        // A backup of such a database is not restored either.
        Path backup = dataDir.resolve("from-the-future.db.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(backup))) {
            Files.copy(dataDir.resolve("corral.db"), out);
        }
        Path other = dataDir.resolve("other");
        CommandResult restore = InProcessCorral.command("restore", backup.toString(), "--corral.data-dir=" + other);
        assertThat(restore.exitCode()).isEqualTo(1);
        assertThat(restore.err()).contains("Refused: the backup has schema version 999, newer than this Corral");
        assertThat(other.resolve("corral.db")).doesNotExist();
    }

    @Test
    void dbStatusListsAppliedAndPendingMigrationsAndDbMigrateAppliesThemAfterABackup() throws Exception {
        CommandResult none = InProcessCorral.command("db", "status", "--corral.data-dir=" + dataDir);
        assertThat(none.exitCode()).isZero();
        assertThat(none.out()).contains("No database at " + dataDir.resolve("corral.db").toAbsolutePath());

        migrate(dataDir, MAIN_LATEST, MAIN);
        CommandResult before = InProcessCorral.command("db", "status", "--corral.data-dir=" + dataDir, WITH_UPGRADE);
        assertThat(before.exitCode()).as(before.err()).isZero();
        assertThat(before.out())
                .contains("Schema version: " + MAIN_LATEST + " (this Corral: 500)")
                .containsPattern("Version\\s+Description\\s+State\\s+Installed on")
                .containsPattern("\\n1\\s+users conversations messages\\s+Success\\s+\\d{4}-\\d\\d-\\d\\dT")
                .containsPattern("\\n500\\s+test only column\\s+Pending")
                .contains("1 migration pending");

        CommandResult migrated = InProcessCorral.command("db", "migrate", "--corral.data-dir=" + dataDir, WITH_UPGRADE);
        assertThat(migrated.exitCode()).as(migrated.err()).isZero();
        assertThat(migrated.out()).contains("Backed up the database to " + dataDir.toAbsolutePath().resolve("backups"))
                .contains("Applied 1 migration(s); the schema is now at version 500.");
        assertThat(backups(dataDir)).singleElement().asString().contains("pre-migration");
        assertThat(schemaVersion(dataDir.resolve("corral.db"))).isEqualTo("500");

        CommandResult after = InProcessCorral.command("db", "status", "--corral.data-dir=" + dataDir, WITH_UPGRADE);
        assertThat(after.out()).containsPattern("\\n500\\s+test only column\\s+Success").contains("Up to date.");
        CommandResult again = InProcessCorral.command("db", "migrate", "--corral.data-dir=" + dataDir, WITH_UPGRADE);
        assertThat(again.exitCode()).isZero();
        assertThat(again.out()).contains("Nothing to migrate").contains("schema version 500");
        assertThat(backups(dataDir)).hasSize(1);
    }

    @Test
    void dbMigrateRefusesWhileCorralRunsOnTheDataDirectory() {
        try (ConfigurableApplicationContext corral = InProcessCorral.start(dataDir)) {
            CommandResult result = InProcessCorral.command("db", "migrate", "--corral.data-dir=" + dataDir);
            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.err()).contains("Corral is running on").contains("Stop Corral first");
        }
    }

    static void migrate(Path dataDir, String target, String... locations) throws IOException {
        Files.createDirectories(dataDir);
        Flyway.configure().dataSource("jdbc:sqlite:" + dataDir.resolve("corral.db"), "", "")
                .locations(locations).target(target).load().migrate();
    }

    private static void insertAdmin(Path dataDir) throws SQLException {
        String hash = PasswordEncoderFactories.createDelegatingPasswordEncoder().encode(InProcessCorral.ADMIN_PASSWORD);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("corral.db"));
             PreparedStatement s = c.prepareStatement("INSERT INTO users (id, username, username_key, password_hash, "
                     + "role, enabled, created_at, updated_at) VALUES ('u1', ?, ?, ?, 'ADMIN', 1, 0, 0)")) {
            s.setString(1, InProcessCorral.ADMIN);
            s.setString(2, InProcessCorral.ADMIN);
            s.setString(3, hash);
            s.executeUpdate();
        }
    }

    private static int userCount(Path db, String username) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery("SELECT count(*) FROM users WHERE username = '" + username + "'")) {
            rows.next();
            return rows.getInt(1);
        }
    }

    static String schemaVersion(Path db) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery(
                     "SELECT version FROM flyway_schema_history WHERE success = 1 ORDER BY installed_rank DESC")) {
            rows.next();
            return rows.getString(1);
        }
    }

    private static List<Path> backups(Path dataDir) throws IOException {
        Path dir = dataDir.resolve("backups");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".db.gz")).toList();
        }
    }

    private static Path gunzip(Path gz, Path to) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
            Files.copy(in, to);
        }
        return to;
    }

    private static String messages(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        return all.toString();
    }
}
