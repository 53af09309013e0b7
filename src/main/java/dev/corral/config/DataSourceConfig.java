package dev.corral.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

import javax.sql.DataSource;

import org.sqlite.SQLiteConfig;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * SQLite in the data directory by default; PostgreSQL when DATABASE_URL names one, either as
 * {@code postgresql://user:pass@host:port/db} or as a JDBC URL. Public so that the command-line tools
 * ({@code db status}, {@code db migrate}, {@code restore}) open the database exactly as the server does.
 */
@Configuration(proxyBeanMethods = false)
public class DataSourceConfig {

    @Bean
    DataSource dataSource(CorralProperties properties) {
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName("corral");
        String url = properties.databaseUrl() == null ? "" : properties.databaseUrl().trim();
        if (url.isEmpty()) {
            configureSqlite(hikari, sqliteUrl(properties));
        } else if (url.startsWith("jdbc:sqlite:")) {
            configureSqlite(hikari, url);
        } else if (url.startsWith("jdbc:postgresql:")) {
            hikari.setJdbcUrl(url);
            hikari.setMaximumPoolSize(20);
        } else if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
            configurePostgresUri(hikari, URI.create(url));
        } else {
            throw new IllegalStateException(
                    "DATABASE_URL must be a postgresql:// URL or a jdbc:postgresql: / jdbc:sqlite: URL");
        }
        return new HikariDataSource(hikari);
    }

    private static String sqliteUrl(CorralProperties properties) {
        try {
            Files.createDirectories(properties.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the data directory " + properties.dataDir(), e);
        }
        return "jdbc:sqlite:" + properties.dataDir().resolve("corral.db").toAbsolutePath();
    }

    private static void configureSqlite(HikariConfig hikari, String jdbcUrl) {
        SQLiteConfig sqlite = new SQLiteConfig();
        sqlite.setJournalMode(SQLiteConfig.JournalMode.WAL);
        sqlite.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        sqlite.enforceForeignKeys(true);
        sqlite.setBusyTimeout(15_000);
        // Writers take the lock when the transaction begins, so two transactions never deadlock upgrading a read lock.
        sqlite.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        hikari.setJdbcUrl(jdbcUrl);
        hikari.setDataSourceProperties(sqlite.toProperties());
        // One connection: SQLite has one writer at a time anyway, and a second connection waiting for the lock
        // spins in SQLite's busy handler inside native code, which pins a virtual thread's carrier. With a few
        // carriers pinned that way the lock holder cannot run (seen in the relay benchmark). Waiting for the pool
        // instead parks the virtual thread. Statements are short (the relay writes progress in batches).
        hikari.setMaximumPoolSize(1);
    }

    private static void configurePostgresUri(HikariConfig hikari, URI uri) {
        int port = uri.getPort() == -1 ? 5432 : uri.getPort();
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        hikari.setJdbcUrl("jdbc:postgresql://" + uri.getHost() + ":" + port + uri.getRawPath() + query);
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            hikari.setUsername(decode(colon < 0 ? userInfo : userInfo.substring(0, colon)));
            if (colon >= 0) {
                hikari.setPassword(decode(userInfo.substring(colon + 1)));
            }
        }
        hikari.setMaximumPoolSize(20);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
