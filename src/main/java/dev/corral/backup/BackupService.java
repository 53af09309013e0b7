package dev.corral.backup;

import java.io.BufferedInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.support.CronExpression;
import org.springframework.stereotype.Service;

import com.fasterxml.jackson.annotation.JsonValue;

import dev.corral.config.CorralProperties;
import dev.corral.config.DatabaseLocation;
import dev.corral.web.ApiException;
import dev.corral.web.ErrorCode;

/**
 * Online backups of the SQLite database: {@code VACUUM INTO} a temporary file through an ordinary pooled connection,
 * gzip it, then move it into place atomically as {@code corral-YYYYMMDD-HHMMSS-<reason>.db.gz} (UTC). One backup
 * runs at a time; retention by age and count is applied after each one.
 *
 * <p>Why {@code VACUUM INTO} rather than the driver's {@code backup to} (SQLite's backup API): it is plain SQL on a
 * normal connection, reads the database in one read transaction, so the copy is a consistent snapshot while Corral
 * keeps writing (WAL mode: readers and the writer do not block each other), and it writes a compact file without
 * free pages. The backup API copies pages and restarts when another connection writes in between, and is reached
 * through a driver-specific command.
 */
@Service
public class BackupService {

    public static final String POSTGRES_MESSAGE =
            "Corral does not back up PostgreSQL; use pg_dump (see DEPLOYMENT.md)";
    static final Pattern NAME =
            Pattern.compile("corral-(\\d{8}-\\d{6})-(scheduled|manual|pre-migration)(?:-(\\d+))?\\.db\\.gz");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT);
    private static final Logger log = LoggerFactory.getLogger(BackupService.class);

    public enum Reason {
        SCHEDULED, MANUAL, PRE_MIGRATION;

        @JsonValue
        public String json() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        static Reason of(String json) {
            return valueOf(json.toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    /** A backup file in the backup directory. */
    public record Backup(String name, Path file, long sizeBytes, Instant createdAt, Reason reason) {
    }

    /** How the last backup since Corral started went: {@code result} is {@code ok} or {@code failed}. */
    public record LastResult(String result, String message, Instant at, Reason reason, String name) {
    }

    private final DataSource dataSource;
    private final CorralProperties.Backup settings;
    private final boolean sqlite;
    private final Path directory;
    private final Clock clock = Clock.systemUTC();
    private final ReentrantLock oneAtATime = new ReentrantLock();
    private volatile LastResult lastResult;

    BackupService(DataSource dataSource, CorralProperties properties) {
        this.dataSource = dataSource;
        this.settings = properties.backup();
        this.sqlite = DatabaseLocation.isSqlite(properties);
        String dir = settings.dir() == null ? "" : settings.dir().trim();
        this.directory = (dir.isEmpty() ? properties.dataDir().resolve("backups") : Path.of(dir)).toAbsolutePath();
    }

    /** False for PostgreSQL: Corral leaves its backups to pg_dump. */
    public boolean supported() {
        return sqlite;
    }

    public Path directory() {
        return directory;
    }

    public CorralProperties.Backup settings() {
        return settings;
    }

    public Optional<LastResult> lastResult() {
        return Optional.ofNullable(lastResult);
    }

    /** When the schedule runs next (server time zone), or empty when scheduled backups are off. */
    public Optional<Instant> nextRun() {
        if (!sqlite || !settings.enabled()) {
            return Optional.empty();
        }
        LocalDateTime next = CronExpression.parse(settings.cron()).next(LocalDateTime.now(ZoneId.systemDefault()));
        return Optional.ofNullable(next).map(t -> t.atZone(ZoneId.systemDefault()).toInstant());
    }

    /**
     * Makes a backup now, then applies retention.
     *
     * @throws ApiException {@code backup_in_progress} while another backup runs, {@code backup_unsupported} on
     *                      PostgreSQL, {@code backup_failed} when SQLite or the file system fails
     */
    public Backup create(Reason reason) {
        if (!sqlite) {
            throw new ApiException(ErrorCode.BACKUP_UNSUPPORTED, POSTGRES_MESSAGE);
        }
        if (!oneAtATime.tryLock()) {
            throw new ApiException(ErrorCode.BACKUP_IN_PROGRESS, "A backup is already running; wait for it to finish.");
        }
        long started = System.nanoTime();
        try {
            Backup backup = write(reason);
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            lastResult = new LastResult("ok", "Backed up in " + seconds(took) + " s.", clock.instant(), reason,
                    backup.name());
            log.info("Backup {} written ({} bytes, {}) in {} s", backup.file(), backup.sizeBytes(), reason.json(),
                    seconds(took));
            prune(backup);
            return backup;
        } catch (IOException | SQLException | RuntimeException e) {
            String cause = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            lastResult = new LastResult("failed", cause, clock.instant(), reason, null);
            log.error("Backup ({}) into {} failed: {}", reason.json(), directory, cause, e);
            throw new ApiException(ErrorCode.BACKUP_FAILED, "The backup failed: " + cause);
        } finally {
            oneAtATime.unlock();
        }
    }

    /** The backups in the backup directory, newest first. */
    public List<Backup> list() {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        List<Backup> backups = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Matcher m = NAME.matcher(file.getFileName().toString());
                if (m.matches() && Files.isRegularFile(file)) {
                    Instant created = LocalDateTime.parse(m.group(1), STAMP).toInstant(ZoneOffset.UTC);
                    backups.add(new Backup(file.getFileName().toString(), file, sizeOf(file), created,
                            Reason.of(m.group(2))));
                }
            }
        } catch (IOException e) {
            log.warn("Cannot list the backup directory {}: {}", directory, e.getMessage());
        }
        backups.sort(Comparator.comparing(Backup::createdAt).thenComparing(Backup::name).reversed());
        return backups;
    }

    private Backup write(Reason reason) throws IOException, SQLException {
        Files.createDirectories(directory);
        Instant now = clock.instant();
        String name = freeName(now, reason);
        // Hidden work files in the same directory, so the final move is atomic and list() never shows a half backup.
        Path copy = directory.resolve("." + name + ".sqlite.tmp");
        Path packed = directory.resolve("." + name + ".tmp");
        try {
            try (Connection connection = dataSource.getConnection();
                 PreparedStatement vacuum = connection.prepareStatement("VACUUM INTO ?")) {
                vacuum.setString(1, copy.toString());
                vacuum.execute();
            }
            gzip(copy, packed);
            Path file = directory.resolve(name);
            Files.move(packed, file, StandardCopyOption.ATOMIC_MOVE);
            return new Backup(name, file, sizeOf(file), now.truncatedTo(ChronoUnit.SECONDS), reason);
        } finally {
            Files.deleteIfExists(copy);
            Files.deleteIfExists(packed);
        }
    }

    private String freeName(Instant now, Reason reason) {
        String base = "corral-" + STAMP.format(now.atOffset(ZoneOffset.UTC)) + "-" + reason.json();
        String name = base + ".db.gz";
        for (int n = 2; Files.exists(directory.resolve(name)); n++) {
            name = base + "-" + n + ".db.gz";
        }
        return name;
    }

    private static void gzip(Path from, Path to) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(from), 1 << 16);
             FileOutputStream file = new FileOutputStream(to.toFile());
             GZIPOutputStream out = new FastGzipOutputStream(file)) {
            in.transferTo(out);
            out.finish();
            // On disk before it gets its final name: a crash never leaves a truncated "backup" behind.
            file.getChannel().force(true);
        }
    }

    /** gzip at level 1: most of the size reduction of the default level for a fraction of the CPU time. */
    private static final class FastGzipOutputStream extends GZIPOutputStream {
        FastGzipOutputStream(OutputStream out) throws IOException {
            super(out, 1 << 16);
            def.setLevel(Deflater.BEST_SPEED);
        }
    }

    /** Deletes backups older than the retention age and beyond the retention count; never {@code keep}. */
    private void prune(Backup keep) {
        List<Backup> backups = list();
        Instant oldest = settings.retentionDays() > 0
                ? clock.instant().minus(Duration.ofDays(settings.retentionDays())) : Instant.MIN;
        int kept = 0;
        for (Backup backup : backups) {
            boolean tooMany = settings.retentionCount() > 0 && kept >= settings.retentionCount();
            boolean tooOld = backup.createdAt().isBefore(oldest);
            if (!backup.name().equals(keep.name()) && (tooMany || tooOld)) {
                try {
                    Files.deleteIfExists(backup.file());
                    log.info("Deleted backup {} ({})", backup.file(), tooOld ? "older than "
                            + settings.retentionDays() + " days" : "more than " + settings.retentionCount() + " kept");
                } catch (IOException e) {
                    log.warn("Cannot delete old backup {}: {}", backup.file(), e.getMessage());
                }
            } else {
                kept++;
            }
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1f", d.toMillis() / 1000.0);
    }
}
