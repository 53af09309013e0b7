package dev.corral.backup;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import org.springframework.stereotype.Component;

/**
 * Backup gauges for alerting: when the newest backup file was made (so "no backup for 26 hours" is one rule, across
 * restarts) and whether the last attempt since start failed.
 */
@Component
class BackupMetrics implements MeterBinder {

    private final BackupService backups;

    BackupMetrics(BackupService backups) {
        this.backups = backups;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        if (!backups.supported()) {
            return;
        }
        Gauge.builder("corral.backup.newest.created", backups,
                        b -> b.list().stream().findFirst().map(n -> (double) n.createdAt().getEpochSecond())
                                .orElse(Double.NaN))
                .description("When the newest backup in the backup directory was made (seconds since the epoch)")
                .baseUnit("seconds").register(registry);
        Gauge.builder("corral.backup.last.failed", backups,
                        b -> b.lastResult().map(r -> "failed".equals(r.result()) ? 1.0 : 0.0).orElse(0.0))
                .description("1 when the last backup attempt since Corral started failed, else 0")
                .register(registry);
    }
}
