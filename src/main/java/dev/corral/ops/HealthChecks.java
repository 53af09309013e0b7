package dev.corral.ops;

import javax.sql.DataSource;

import org.springframework.boot.jdbc.health.DataSourceHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Health checks Spring Boot provides, set up for Corral. The others are the *HealthIndicator classes here. */
@Configuration(proxyBeanMethods = false)
class HealthChecks {

    /**
     * The {@code db} check reads a table instead of Boot's default {@code Connection.isValid}: for SQLite that only
     * looks at the JDBC connection object, never at the database file. Flyway's history table exists in every
     * Corral database.
     */
    @Bean
    DataSourceHealthIndicator dbHealthIndicator(DataSource dataSource) {
        return new DataSourceHealthIndicator(dataSource, "SELECT COUNT(*) FROM flyway_schema_history");
    }
}
