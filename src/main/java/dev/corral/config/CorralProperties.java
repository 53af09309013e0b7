package dev.corral.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The one typed home of Corral's settings. application.yml maps each environment variable onto these fields;
 * .env.example documents them with their defaults.
 */
@ConfigurationProperties(prefix = "corral")
public record CorralProperties(
        @DefaultValue("./data") Path dataDir,
        @DefaultValue("") String databaseUrl,
        @DefaultValue Admin admin,
        @DefaultValue Ollama ollama,
        @DefaultValue Chat chat,
        @DefaultValue Backup backup,
        @DefaultValue Migration migration) {

    /** First admin account, created only when the database has no user yet. */
    public record Admin(@DefaultValue("") String username, @DefaultValue("") String password) {
    }

    public record Ollama(
            @DefaultValue("http://127.0.0.1:11434") URI baseUrl,
            @DefaultValue("5s") Duration connectTimeout,
            /* For short, non-streaming calls (model list). Chat streams have no such limit: a cold model may load for minutes. */
            @DefaultValue("15s") Duration requestTimeout,
            @DefaultValue("3") int busyRetries,
            @DefaultValue("500ms") Duration busyBackoff) {
    }

    public record Chat(
            @DefaultValue("4000") int maxMessageChars,
            /* How often a streaming answer is written to the database (at most this long is lost on a crash). */
            @DefaultValue("1s") Duration flushInterval,
            /* On shutdown, running answers get this long to finish before they are stopped and stored as interrupted. */
            @DefaultValue("30s") Duration shutdownGrace) {
    }

    /** SQLite backups (PostgreSQL is backed up with pg_dump, outside Corral). */
    public record Backup(
            @DefaultValue("true") boolean enabled,
            /* Empty: CORRAL_DATA_DIR/backups. */
            @DefaultValue("") String dir,
            /* Spring cron expression (second minute hour day month weekday), in the server's time zone. */
            @DefaultValue("0 0 3 * * *") String cron,
            /* Backups older than this many days are deleted; 0 keeps them whatever their age. */
            @DefaultValue("30") int retentionDays,
            /* Only the newest this many backups are kept; 0 keeps any number. */
            @DefaultValue("30") int retentionCount) {
    }

    /** Flyway migrations of the database schema. */
    public record Migration(
            /* false: Corral refuses to start while migrations are pending; apply them with `db migrate`. */
            @DefaultValue("true") boolean onStart) {
    }
}
