package dev.corral.apikey;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class ApiKeyRepository {

    /** A key with the digest of its secret, for authentication only. */
    record StoredKey(ApiKey key, String secretHash) {
    }

    private static final RowMapper<ApiKey> ROW = (rs, i) -> new ApiKey(
            rs.getString("id"), rs.getString("user_id"), rs.getString("name"), rs.getString("prefix"),
            instant(rs, "created_at"), instant(rs, "last_used_at"), instant(rs, "expires_at"),
            instant(rs, "revoked_at"), rs.getString("replaced_by"), instant(rs, "rotated_at"));

    private final JdbcClient jdbc;

    ApiKeyRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(value);
    }

    private static Long millis(Instant instant) {
        return instant == null ? null : instant.toEpochMilli();
    }

    void insert(ApiKey key, String secretHash) {
        jdbc.sql("""
                INSERT INTO api_keys (id, user_id, name, prefix, secret_hash, created_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)""")
                .params(key.id(), key.userId(), key.name(), key.prefix(), secretHash, millis(key.createdAt()),
                        millis(key.expiresAt()))
                .update();
    }

    boolean prefixExists(String prefix) {
        return jdbc.sql("SELECT COUNT(*) FROM api_keys WHERE prefix = ?").param(prefix).query(Long.class).single() > 0;
    }

    Optional<StoredKey> findByPrefix(String prefix) {
        return jdbc.sql("SELECT * FROM api_keys WHERE prefix = ?").param(prefix)
                .query((rs, i) -> new StoredKey(ROW.mapRow(rs, i), rs.getString("secret_hash")))
                .optional();
    }

    Optional<ApiKey> findById(String id) {
        return jdbc.sql("SELECT * FROM api_keys WHERE id = ?").param(id).query(ROW).optional();
    }

    /** The key only if it belongs to {@code userId}: another user's key is as absent as a made-up id. */
    Optional<ApiKey> findOwned(String id, String userId) {
        return jdbc.sql("SELECT * FROM api_keys WHERE id = ? AND user_id = ?").params(id, userId).query(ROW).optional();
    }

    /** Newest first. */
    List<ApiKey> findByUser(String userId) {
        return jdbc.sql("SELECT * FROM api_keys WHERE user_id = ? ORDER BY created_at DESC, id")
                .param(userId).query(ROW).list();
    }

    /** Every user's keys, newest first. */
    List<ApiKey> findAll() {
        return jdbc.sql("SELECT * FROM api_keys ORDER BY created_at DESC, id").query(ROW).list();
    }

    /** Keys that work, rotated ones in their grace period included: the ones the per-user cap counts. */
    long countActive(String userId, Instant now) {
        return jdbc.sql("""
                SELECT COUNT(*) FROM api_keys
                WHERE user_id = ? AND revoked_at IS NULL
                  AND (expires_at IS NULL OR expires_at > ?)""")
                .params(userId, now.toEpochMilli()).query(Long.class).single();
    }

    /** Deletes the user's keys that were revoked or expired before {@code before}. */
    int deleteInactive(String userId, Instant before) {
        long cutoff = before.toEpochMilli();
        return jdbc.sql("""
                DELETE FROM api_keys
                WHERE user_id = ? AND ((revoked_at IS NOT NULL AND revoked_at < ?)
                                    OR (expires_at IS NOT NULL AND expires_at < ?))""")
                .params(userId, cutoff, cutoff).update();
    }

    /** Stamps the last use unless it was stamped after {@code notAfter}; at most one write a minute per key. */
    void touch(String id, Instant now, Instant notAfter) {
        jdbc.sql("UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)")
                .params(now.toEpochMilli(), id, notAfter.toEpochMilli()).update();
    }

    boolean revoke(String id, Instant now) {
        return jdbc.sql("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
                .params(now.toEpochMilli(), id).update() == 1;
    }

    /** Marks the key as replaced, working until {@code graceEnd}; false if it was revoked or rotated meanwhile. */
    boolean markRotated(String id, String replacedBy, Instant now, Instant graceEnd) {
        return jdbc.sql("""
                UPDATE api_keys SET replaced_by = ?, rotated_at = ?, expires_at = ?
                WHERE id = ? AND replaced_by IS NULL AND revoked_at IS NULL""")
                .params(replacedBy, now.toEpochMilli(), graceEnd.toEpochMilli(), id).update() == 1;
    }
}
