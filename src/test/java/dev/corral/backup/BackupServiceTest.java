package dev.corral.backup;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.stream.Stream;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.sqlite.SQLiteDataSource;

import dev.corral.config.CorralProperties;
import dev.corral.web.ApiException;
import dev.corral.web.ErrorCode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The backup service on its own: one backup at a time, retention, and what a failure leaves behind. */
class BackupServiceTest {

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    @TempDir
    Path dataDir;

    @Test
    void aSecondBackupWhileOneRunsIsRefusedWithBackupInProgress() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        DataSource database = database();
        DataSource slow = new DelegatingDataSource(database) {
            @Override
            public Connection getConnection() throws SQLException {
                entered.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.getConnection();
            }
        };
        BackupService backups = service(slow, Map.of());
        CompletableFuture<BackupService.Backup> first = CompletableFuture.supplyAsync(
                () -> backups.create(BackupService.Reason.MANUAL));
        assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();

        assertThatThrownBy(() -> backups.create(BackupService.Reason.MANUAL))
                .isInstanceOfSatisfying(ApiException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.BACKUP_IN_PROGRESS));

        release.countDown();
        BackupService.Backup made = first.get(30, TimeUnit.SECONDS);
        assertThat(made.file()).isRegularFile();
        assertThat(backups.list()).extracting(BackupService.Backup::name).containsExactly(made.name());
        // Once it is done, the next one may start.
        assertThat(service(database, Map.of()).create(BackupService.Reason.MANUAL).sizeBytes()).isPositive();
    }

    @Test
    void retentionDeletesBackupsOlderThanTheAgeAndBeyondTheCount() throws Exception {
        Path dir = Files.createDirectories(dataDir.resolve("backups"));
        Instant now = Instant.now();
        Path ancient = backupFile(dir, now.minus(Duration.ofDays(40)), "scheduled");
        Path recent1 = backupFile(dir, now.minus(Duration.ofHours(1)), "scheduled");
        Path recent2 = backupFile(dir, now.minus(Duration.ofHours(2)), "pre-migration");
        Path recent3 = backupFile(dir, now.minus(Duration.ofHours(3)), "manual");
        Path notABackup = Files.writeString(dir.resolve("notes.txt"), "kept");

        BackupService backups = service(database(), Map.of("corral.backup.retention-count", "3",
                "corral.backup.retention-days", "30"));
        BackupService.Backup made = backups.create(BackupService.Reason.MANUAL);

        assertThat(ancient).doesNotExist();
        assertThat(recent3).doesNotExist();
        assertThat(backups.list()).extracting(BackupService.Backup::file).containsExactly(made.file(), recent1, recent2);
        assertThat(notABackup).exists();
    }

    @Test
    void aFailedBackupIsReportedAndLeavesNoFileBehind() throws Exception {
        DataSource broken = new DelegatingDataSource(database()) {
            @Override
            public Connection getConnection() throws SQLException {
                throw new SQLException("[SQLITE_FULL] database or disk is full");
            }
        };
        BackupService backups = service(broken, Map.of());

        assertThatThrownBy(() -> backups.create(BackupService.Reason.SCHEDULED))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.BACKUP_FAILED);
                    assertThat(e.getMessage()).contains("database or disk is full");
                });
        assertThat(backups.lastResult()).hasValueSatisfying(r -> {
            assertThat(r.result()).isEqualTo("failed");
            assertThat(r.reason()).isEqualTo(BackupService.Reason.SCHEDULED);
        });
        try (Stream<Path> files = Files.list(dataDir.resolve("backups"))) {
            assertThat(files).isEmpty();
        }
    }

    private BackupService service(DataSource dataSource, Map<String, String> settings) {
        Map<String, String> properties = new HashMap<>(settings);
        properties.put("corral.data-dir", dataDir.toString());
        CorralProperties corral = new Binder(new MapConfigurationPropertySource(properties))
                .bindOrCreate("corral", CorralProperties.class);
        return new BackupService(dataSource, corral);
    }

    private DataSource database() throws SQLException {
        SQLiteDataSource sqlite = new SQLiteDataSource();
        sqlite.setUrl("jdbc:sqlite:" + dataDir.resolve("corral.db"));
        try (Connection c = sqlite.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT)");
            s.execute("INSERT INTO notes (text) VALUES ('something worth keeping')");
        }
        return sqlite;
    }

    private static Path backupFile(Path dir, Instant at, String reason) throws IOException {
        return Files.write(dir.resolve("corral-" + STAMP.format(at.atOffset(ZoneOffset.UTC)) + "-" + reason
                + ".db.gz"), new byte[] {31, -117});
    }

    private static class DelegatingDataSource implements DataSource {
        private final DataSource delegate;

        DelegatingDataSource(DataSource delegate) {
            this.delegate = delegate;
        }

        @Override
        public Connection getConnection() throws SQLException {
            return delegate.getConnection();
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return false;
        }
    }
}
