package dev.corral.user;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import dev.corral.config.CorralProperties;
import dev.corral.config.DatabaseLocation;

@Repository
class UserRepository {

    private static final RowMapper<User> ROW = (rs, i) -> new User(
            rs.getString("id"), rs.getString("username"), rs.getString("password_hash"),
            Role.valueOf(rs.getString("role")), rs.getBoolean("enabled"),
            Instant.ofEpochMilli(rs.getLong("created_at")), rs.getObject("rate_limit_multiplier") == null ? null
                    : rs.getInt("rate_limit_multiplier"), rs.getBoolean("pending"));

    /**
     * A condition on the row being changed: it is not an active admin, or another active admin remains. Part of the
     * same UPDATE or DELETE as the change, so that the check and the change are one statement.
     */
    private static final String KEEPS_AN_ACTIVE_ADMIN = """
            (role <> 'ADMIN' OR enabled <> ?
             OR (SELECT COUNT(*) FROM users a WHERE a.role = 'ADMIN' AND a.enabled = ?) > 1)""";
    /** Any constant: the key of PostgreSQL's transaction-scoped advisory lock on changes of the admins. */
    private static final long ADMINS_LOCK = 0x436f7272616c41L; // "CorralA"

    private final JdbcClient jdbc;
    private final boolean sqlite;

    UserRepository(JdbcClient jdbc, CorralProperties properties) {
        this.jdbc = jdbc;
        this.sqlite = DatabaseLocation.isSqlite(properties);
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
                INSERT INTO users (id, username, username_key, password_hash, role, enabled, pending, created_at,
                                   updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(user.id(), user.username(), key(user.username()), user.passwordHash(), user.role().name(),
                        user.enabled(), user.pending(), now, now)
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

    /**
     * Serializes the changes that may remove an active admin (demote, disable, delete) until the transaction ends.
     * SQLite needs nothing more: its transactions begin IMMEDIATE, one writer at a time. On PostgreSQL two
     * transactions could each see two admins and each remove one (READ COMMITTED); the advisory lock makes the second
     * wait for the first to commit, and its statements then see the first one's change.
     */
    void lockAdmins() {
        if (!sqlite) {
            jdbc.sql("SELECT pg_advisory_xact_lock(?)").param(ADMINS_LOCK).query().listOfRows();
        }
    }

    /** Enables (and so approves, if pending) an account. */
    boolean enable(String id) {
        return jdbc.sql("UPDATE users SET enabled = ?, pending = ?, updated_at = ? WHERE id = ?")
                .params(true, false, System.currentTimeMillis(), id).update() == 1;
    }

    /** Disables an account (a pending one is then simply disabled); false if it is the last active admin. */
    boolean disableKeepingAnAdmin(String id) {
        return jdbc.sql("UPDATE users SET enabled = ?, pending = ?, updated_at = ? WHERE id = ? AND "
                        + KEEPS_AN_ACTIVE_ADMIN)
                .params(false, false, System.currentTimeMillis(), id, true, true).update() == 1;
    }

    void setRole(String id, Role role) {
        jdbc.sql("UPDATE users SET role = ?, updated_at = ? WHERE id = ?")
                .params(role.name(), System.currentTimeMillis(), id).update();
    }

    /** Makes an account a plain user; false if it is the last active admin. */
    boolean demoteKeepingAnAdmin(String id) {
        return jdbc.sql("UPDATE users SET role = ?, updated_at = ? WHERE id = ? AND " + KEEPS_AN_ACTIVE_ADMIN)
                .params(Role.USER.name(), System.currentTimeMillis(), id, true, true).update() == 1;
    }

    /**
     * Deletes an account; its conversations (and their messages), API keys and sessions go with it through the
     * database's ON DELETE CASCADE. False if it is the last active admin.
     */
    boolean deleteKeepingAnAdmin(String id) {
        return jdbc.sql("DELETE FROM users WHERE id = ? AND " + KEEPS_AN_ACTIVE_ADMIN)
                .params(id, true, true).update() == 1;
    }

    /** A new password hash; also ends a sign-in lock-out. */
    boolean setPasswordHash(String id, String hash) {
        return jdbc.sql("""
                UPDATE users SET password_hash = ?, failed_sign_ins = 0, locked_until = NULL, updated_at = ?
                WHERE id = ?""")
                .params(hash, System.currentTimeMillis(), id).update() == 1;
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
