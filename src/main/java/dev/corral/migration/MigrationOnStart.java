package dev.corral.migration;

import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.flyway.autoconfigure.FlywayMigrationStrategy;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.corral.backup.BackupService;
import dev.corral.backup.ServerDataDirectoryLock;
import dev.corral.config.CorralProperties;
import dev.corral.config.StartupRefusedException;
import dev.corral.web.ApiException;

/**
 * What Corral does with its schema on start, through Spring Boot's Flyway hook: refuse a database written by a newer
 * Corral; with pending migrations, back up an existing SQLite database (reason pre-migration) and migrate, or
 * refuse when DB_MIGRATE_ON_START=false (an old schema under new code is worse than not starting).
 */
@Configuration(proxyBeanMethods = false)
class MigrationOnStart {

    private static final Logger log = LoggerFactory.getLogger(MigrationOnStart.class);

    @Bean
    FlywayMigrationStrategy flywayMigrationStrategy(CorralProperties properties, BackupService backups,
                                                    ServerDataDirectoryLock dataDirectoryLock) {
        // The lock parameter makes sure this Corral owns the data directory before it touches the schema.
        return flyway -> migrate(flyway, properties.migration().onStart(), backups);
    }

    static void migrate(Flyway flyway, boolean migrateOnStart, BackupService backups) {
        SchemaVersions schema = SchemaVersions.of(flyway);
        String where = SchemaVersions.describe(flyway.getConfiguration().getDataSource());
        if (schema.isNewerThanCorral()) {
            throw schema.newerRefusal(where);
        }
        if (schema.pending().isEmpty()) {
            return;
        }
        if (!migrateOnStart) {
            throw new StartupRefusedException("The database at " + where + " is at schema version "
                    + schema.currentText() + " and needs " + schema.pendingText() + "; DB_MIGRATE_ON_START=false.",
                    "Stop other Corrals on this database and run: java -jar corral.jar db migrate (it backs up the "
                            + "database first), then start Corral. Or set DB_MIGRATE_ON_START=true.");
        }
        if (!schema.isNew()) {
            if (backups.supported()) {
                try {
                    BackupService.Backup backup = backups.create(BackupService.Reason.PRE_MIGRATION);
                    log.info("Backed up the database before migrating it: {}", backup.file());
                } catch (ApiException e) {
                    throw new StartupRefusedException("Could not back up the database at " + where
                            + " before migrating it; nothing was changed. " + e.getMessage(),
                            "Fix the cause (free space, permissions of BACKUP_DIR), then start Corral again.");
                }
            } else {
                log.warn("Migrating {} without a backup: Corral does not back up PostgreSQL (use pg_dump first).",
                        where);
            }
        }
        log.info("Migrating the database at {} from schema version {}: {}", where, schema.currentText(),
                schema.pendingText());
        flyway.migrate();
    }
}
