package dev.corral.backup;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * Backups for admins (the security configuration limits /api/admin/** and /backup/** to them): make one now, and
 * see the list, the last result and the next scheduled run.
 */
@RestController
class BackupController {

    /** One backup file as the API shows it. */
    record BackupView(String name, long sizeBytes, Instant createdAt, long ageSeconds, BackupService.Reason reason) {
    }

    record Schedule(boolean enabled, String cron, Instant nextRun) {
    }

    record Retention(int days, int count) {
    }

    /** The status of SQLite backups. */
    record Status(boolean supported, String directory, Schedule schedule, Retention retention,
                  BackupService.LastResult lastResult, List<BackupView> backups) {
    }

    /** PostgreSQL: nothing to list, only where to look instead. */
    record Unsupported(boolean supported, String message) {
    }

    private final BackupService backups;

    BackupController(BackupService backups) {
        this.backups = backups;
    }

    @PostMapping("/api/admin/backups")
    @ResponseStatus(HttpStatus.CREATED)
    BackupView create() {
        return view(backups.create(BackupService.Reason.MANUAL), Instant.now());
    }

    @GetMapping("/backup/status")
    Object status() {
        if (!backups.supported()) {
            return new Unsupported(false, BackupService.POSTGRES_MESSAGE);
        }
        Instant now = Instant.now();
        var settings = backups.settings();
        return new Status(true, backups.directory().toString(),
                new Schedule(settings.enabled(), settings.cron(), backups.nextRun().orElse(null)),
                new Retention(settings.retentionDays(), settings.retentionCount()),
                backups.lastResult().orElse(null),
                backups.list().stream().map(b -> view(b, now)).toList());
    }

    private static BackupView view(BackupService.Backup backup, Instant now) {
        long age = Math.max(0, Duration.between(backup.createdAt(), now).toSeconds());
        return new BackupView(backup.name(), backup.sizeBytes(), backup.createdAt(), age, backup.reason());
    }
}
