package dev.corral.cli;

import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration;
import org.springframework.boot.flyway.autoconfigure.FlywayMigrationStrategy;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

import dev.corral.backup.BackupService;
import dev.corral.config.CorralProperties;
import dev.corral.config.DataSourceConfig;

/**
 * The few beans the command-line tools need, configured from the same settings as the server (application.yml,
 * environment, .env, --arguments): CorralProperties, the DataSource, Boot's Flyway and the backup service. No web
 * server, no scheduler. Deliberately not a @Configuration: the server's component scan must not pick it up; the
 * commands register it as their application's only source.
 */
@EnableConfigurationProperties(CorralProperties.class)
@Import({DataSourceConfig.class, BackupService.class})
@ImportAutoConfiguration(FlywayAutoConfiguration.class)
class CommandContext {

    /** The commands decide when to migrate; building the context must not. */
    @Bean
    FlywayMigrationStrategy noMigrationOnStart() {
        return flyway -> {
        };
    }
}
