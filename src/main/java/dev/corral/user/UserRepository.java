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
            Instant.ofEpochMilli(rs.getLong("created_at")), rs.getObject("rate_limit_multiplier") == null ? null
                    : rs.getInt("rate_limit_multiplier"));

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

    boolean setRateLimitMultiplier(String id, Integer multiplier) {
        return jdbc.sql("UPDATE users SET rate_limit_multiplier = ?, updated_at = ? WHERE id = ?")
                .params(multiplier, System.currentTimeMillis(), id).update() == 1;
    }

    Optional<SignInFailures> findSignInFailures(String username) {
        return jdbc.sql("SELECT id, failed_sign_ins, locked_until FROM users WHERE username_key = ?")
                .param(key(username))
                .query((rs, i) -> new SignInFailures(rs.getString("id"), rs.getInt("failed_sign_ins"),
                        rs.getObject("locked_until") == null ? null : Instant.ofEpochMilli(rs.getLong("locked_until"))))
                .optional();
    }

    /** Counts one more failure in the database itself, so that concurrent failures are all counted. */
    int incrementSignInFailures(String id) {
        jdbc.sql("UPDATE users SET failed_sign_ins = failed_sign_ins + 1 WHERE id = ?").param(id).update();
        return jdbc.sql("SELECT failed_sign_ins FROM users WHERE id = ?").param(id).query(Integer.class).single();
    }

    void lockUntil(String id, Instant until) {
        jdbc.sql("UPDATE users SET locked_until = ? WHERE id = ?").params(until.toEpochMilli(), id).update();
    }

    void clearSignInFailures(String id) {
        jdbc.sql("UPDATE users SET failed_sign_ins = 0, locked_until = NULL WHERE id = ? AND failed_sign_ins <> 0")
                .param(id).update();
    }
}
