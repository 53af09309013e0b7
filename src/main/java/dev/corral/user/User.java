package dev.corral.user;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * An account. The password hash never leaves the server. {@code rateLimitMultiplier}: an admin's raise of this
 * user's rate limits (null: the configured limits). {@code pending}: a sign-up awaiting an admin's approval (then
 * {@code enabled} is false too); clients see it as {@link #status()}.
 */
public record User(String id, String username, @JsonIgnore String passwordHash, Role role, boolean enabled,
                   Instant createdAt, Integer rateLimitMultiplier, @JsonIgnore boolean pending) {

    public User(String id, String username, String passwordHash, Role role, boolean enabled, Instant createdAt) {
        this(id, username, passwordHash, role, enabled, createdAt, null, false);
    }

    public User(String id, String username, String passwordHash, Role role, boolean enabled, Instant createdAt,
                Integer rateLimitMultiplier) {
        this(id, username, passwordHash, role, enabled, createdAt, rateLimitMultiplier, false);
    }

    public boolean isAdmin() {
        return role == Role.ADMIN;
    }

    /** An admin who can sign in: the ones the last-admin rule counts. */
    public boolean isActiveAdmin() {
        return isAdmin() && enabled;
    }

    /** {@code pending} (awaiting approval), {@code enabled} or {@code disabled}. */
    @JsonProperty("status")
    public String status() {
        return pending ? "pending" : enabled ? "enabled" : "disabled";
    }
}
