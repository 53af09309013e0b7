package dev.corral.ops;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

import dev.corral.ollama.OllamaClient;
import dev.corral.ollama.OllamaException;

/**
 * The {@code ollama} health check: Ollama answers {@code GET /api/version} (its version and how long it took), or
 * it is DOWN with the reason. Part of {@code /health} but not of readiness: without Ollama, Corral still signs
 * people in and shows their stored conversations.
 */
@Component
class OllamaHealthIndicator implements HealthIndicator {

    /** Shorter than OLLAMA_REQUEST_TIMEOUT: a health check must answer before the caller's own timeout. */
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final OllamaClient ollama;

    OllamaHealthIndicator(OllamaClient ollama) {
        this.ollama = ollama;
    }

    @Override
    public Health health() {
        long started = System.nanoTime();
        Health.Builder health;
        try {
            String version = ollama.version(TIMEOUT);
            health = Health.up().withDetail("version", version);
        } catch (OllamaException e) {
            // The reason without a stack trace: an Ollama that is down is an expected state, not a bug.
            health = Health.down().withDetail("error", e.getMessage());
        }
        return health.withDetail("url", ollama.baseUrl().toString())
                .withDetail("latencyMs", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
                .build();
    }
}
