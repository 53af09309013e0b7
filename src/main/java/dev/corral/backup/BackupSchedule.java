package dev.corral.backup;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

import dev.corral.web.ApiException;

/** Scheduled backups (BACKUP_CRON, default daily at 03:00 server time); off with BACKUP_ENABLED=false. */
@Configuration(proxyBeanMethods = false)
@EnableScheduling
@ConditionalOnBooleanProperty(name = "corral.backup.enabled", matchIfMissing = true)
class BackupSchedule {

    private static final Logger log = LoggerFactory.getLogger(BackupSchedule.class);

    private final BackupService backups;

    BackupSchedule(BackupService backups) {
        this.backups = backups;
        if (!backups.supported()) {
            log.info("Scheduled backups are off: {}", BackupService.POSTGRES_MESSAGE);
        }
    }

    @Scheduled(cron = "${corral.backup.cron:0 0 3 * * *}")
    void run() {
        if (!backups.supported()) {
            return;
        }
        try {
            backups.create(BackupService.Reason.SCHEDULED);
        } catch (ApiException e) {
            // Already logged by the service (or another backup is running, which is as good); /backup/status shows it.
            log.warn("Scheduled backup skipped: {}", e.getMessage());
        }
    }
}
