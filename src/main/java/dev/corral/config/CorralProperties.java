package dev.corral.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

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
        @DefaultValue Logging logging,
        /* Proxies (IPs or CIDRs) whose X-Request-Id (and, later, X-Forwarded-For) Corral believes; empty: nobody. */
        @DefaultValue("") List<String> trustedProxies,
        @DefaultValue Health health,
        @DefaultValue Metrics metrics,
        /* Exact origins (scheme://host[:port]) allowed to call /api/** cross-origin with credentials; empty: CORS off. */
        @DefaultValue("") List<String> corsOrigins,
        /* Largest request body accepted (413 payload_too_large beyond), declared or chunked. */
        @DefaultValue("1MB") DataSize maxRequestBody,
        @DefaultValue RateLimit rateLimit,
        @DefaultValue SignInLockout signInLockout,
        @DefaultValue Backup backup,
        @DefaultValue Migration migration,
        @DefaultValue ApiKeys apiKeys,
        @DefaultValue Session session) {

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
            /* How often an answer's event stream with nothing new gets a comment line, so that proxies and browsers keep it open. */
            @DefaultValue("15s") Duration keepAliveInterval,
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

    /**
     * Logs (read by logback-spring.xml as well): {@code format} json or text for the console, {@code dir} for
     * app.log / error.log / access.log (empty: console only), requests slower than {@code slowRequestThreshold}
     * logged at WARN.
     */
    public record Logging(
            @DefaultValue("json") LogFormat format,
            @DefaultValue("") String dir,
            @DefaultValue("1s") Duration slowRequestThreshold) {
    }

    public enum LogFormat { JSON, TEXT }

    /** Health checks: below {@code dataDirMinFree} free space the data directory reports WARNING. */
    public record Health(@DefaultValue("1GB") DataSize dataDirMinFree) {
    }

    /**
     * Access to /metrics for a Prometheus server: {@code Authorization: Bearer <token>}. Empty (the default) turns
     * token access off, leaving admin sessions only.
     */
    public record Metrics(@DefaultValue("") String token) {
    }

    /**
     * Token buckets per client IP (anonymous requests, sign-in, health) and per signed-in user (other API calls and
     * chat), in requests per minute by endpoint class; {@code maxTrackedClients} bounds the buckets kept in memory.
     */
    public record RateLimit(
            @DefaultValue("true") boolean enabled,
            @DefaultValue("5") int signInPerMinute,
            @DefaultValue("20") int chatPerMinute,
            @DefaultValue("100") int apiPerMinute,
            @DefaultValue("300") int healthPerMinute,
            @DefaultValue("100000") int maxTrackedClients) {
    }

    /**
     * After {@code threshold} consecutive failed sign-ins an account is locked for {@code base}, doubling with each
     * further failure up to {@code max}; a successful sign-in resets it.
     */
    public record SignInLockout(
            @DefaultValue("5") int threshold,
            @DefaultValue("1m") Duration base,
            @DefaultValue("1h") Duration max) {
    }

    /**
     * API keys: after a rotation the old key keeps working for {@code rotationGrace} (or until its own earlier
     * expiry), so that scripts can switch to the new one; 0 ends it at once.
     */
    public record ApiKeys(@DefaultValue("24h") Duration rotationGrace) {
    }

    /**
     * Sign-in sessions (stored in the database): one ends after {@code idleTimeout} without a request, and in any
     * case {@code maxLifetime} after sign-in, however active. Whole seconds; both at least 1 s.
     */
    public record Session(
            @DefaultValue("30m") Duration idleTimeout,
            @DefaultValue("7d") Duration maxLifetime) {
    }
}
