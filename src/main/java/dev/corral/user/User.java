package dev.corral.user;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * An account. The password hash never leaves the server. {@code rateLimitMultiplier}: an admin's raise of this
 * user's rate limits (null: the configured limits).
 */
public record User(String id, String username, @JsonIgnore String passwordHash, Role role, boolean enabled,
                   Instant createdAt, Integer rateLimitMultiplier) {

    public User(String id, String username, String passwordHash, Role role, boolean enabled, Instant createdAt) {
        this(id, username, passwordHash, role, enabled, createdAt, null);
    }

    public boolean isAdmin() {
        return role == Role.ADMIN;
    }
}
