package dev.corral.apikey;

import java.time.Instant;
import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A stored API key, without its secret (which is never stored) or the secret's digest (which never leaves the
 * repository and {@link ApiKeyService#authenticate}). {@code replacedBy}/{@code rotatedAt}: set once the key was
 * rotated; it then works until {@code expiresAt}, the end of the grace period.
 */
public record ApiKey(String id, String userId, String name, String prefix, Instant createdAt, Instant lastUsedAt,
                     Instant expiresAt, Instant revokedAt, String replacedBy, Instant rotatedAt) {

    /** What a key can do now: {@code active} and {@code expiring} (rotated, in its grace period) keys work. */
    public enum Status {
        ACTIVE, EXPIRING, EXPIRED, REVOKED;

        @JsonValue
        public String json() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public Status status(Instant now) {
        if (revokedAt != null) {
            return Status.REVOKED;
        }
        if (expiresAt != null && !now.isBefore(expiresAt)) {
            return Status.EXPIRED;
        }
        return replacedBy != null ? Status.EXPIRING : Status.ACTIVE;
    }

    /** True while the key authenticates requests. */
    public boolean works(Instant now) {
        Status status = status(now);
        return status == Status.ACTIVE || status == Status.EXPIRING;
    }
}
