package dev.corral.user;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class UserRepository {

    private static final RowMapper<User> ROW = (rs, i) -> new User(
            rs.getString("id"), rs.getString("username"), rs.getString("password_hash"),
            Role.valueOf(rs.getString("role")), rs.getBoolean("enabled"),
            Instant.ofEpochMilli(rs.getLong("created_at")));

    private final JdbcClient jdbc;

    UserRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    static String key(String username) {
        return username.toLowerCase(Locale.ROOT);
    }

    long count() {
        return jdbc.sql("SELECT COUNT(*) FROM users").query(Long.class).single();
    }

    boolean usernameExists(String username) {
        return jdbc.sql("SELECT COUNT(*) FROM users WHERE username_key = ?").param(key(username))
                .query(Long.class).single() > 0;
    }

    void insert(User user) {
        long now = user.createdAt().toEpochMilli();
        jdbc.sql("""
                INSERT INTO users (id, username, username_key, password_hash, role, enabled, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(user.id(), user.username(), key(user.username()), user.passwordHash(), user.role().name(),
                        user.enabled(), now, now)
                .update();
    }

    Optional<User> findById(String id) {
        return jdbc.sql("SELECT * FROM users WHERE id = ?").param(id).query(ROW).optional();
    }

    Optional<User> findByUsername(String username) {
        return jdbc.sql("SELECT * FROM users WHERE username_key = ?").param(key(username)).query(ROW).optional();
    }

    List<User> findAll() {
        return jdbc.sql("SELECT * FROM users ORDER BY username_key").query(ROW).list();
    }

    long countEnabledAdmins() {
        return jdbc.sql("SELECT COUNT(*) FROM users WHERE role = 'ADMIN' AND enabled = ?").param(true)
                .query(Long.class).single();
    }

    boolean setEnabled(String id, boolean enabled) {
        return jdbc.sql("UPDATE users SET enabled = ?, updated_at = ? WHERE id = ?")
                .params(enabled, System.currentTimeMillis(), id).update() == 1;
    }
}
