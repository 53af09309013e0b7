package dev.corral.user;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonIgnore;

/** An account. The password hash never leaves the server. */
public record User(String id, String username, @JsonIgnore String passwordHash, Role role, boolean enabled,
                   Instant createdAt) {

    public boolean isAdmin() {
        return role == Role.ADMIN;
    }
}
