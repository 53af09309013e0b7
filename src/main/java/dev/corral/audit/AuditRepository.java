package dev.corral.audit;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class AuditRepository {

    private static final RowMapper<AuditEntry> ROW = (rs, i) -> new AuditEntry(
            rs.getString("id"), Instant.ofEpochMilli(rs.getLong("at")), AuditAction.fromCode(rs.getString("action")),
            rs.getString("outcome"), rs.getString("actor_id"), rs.getString("actor_name"), rs.getString("ip"),
            rs.getString("target_type"), rs.getString("target_id"), rs.getString("target_name"),
            rs.getString("detail"));

    private final JdbcClient jdbc;

    AuditRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void insert(AuditEntry e) {
        jdbc.sql("""
                INSERT INTO audit_log (id, at, action, outcome, actor_id, actor_name, ip, target_type, target_id,
                                       target_name, detail)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(e.id(), e.at().toEpochMilli(), e.action().code(), e.outcome(), e.actorId(), e.actorName(),
                        e.ip(), e.targetType(), e.targetId(), e.targetName(), e.detail())
                .update();
    }

    /**
     * Newest first, matching every non-null filter; {@code before}/{@code beforeId} continue a page (keyset
     * pagination, so a page is as fast at the end of a long log as at its start).
     */
    List<AuditEntry> find(AuditQuery query, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM audit_log WHERE 1 = 1");
        List<Object> params = new ArrayList<>();
        if (query.action() != null) {
            sql.append(" AND action = ?");
            params.add(query.action().code());
        }
        if (query.outcome() != null) {
            sql.append(" AND outcome = ?");
            params.add(query.outcome());
        }
        if (query.actor() != null) {
            // The actor's name as recorded, ignoring case; or an exact id.
            sql.append(" AND (LOWER(actor_name) = ? OR actor_id = ?)");
            params.add(query.actor().toLowerCase(java.util.Locale.ROOT));
            params.add(query.actor());
        }
        if (query.from() != null) {
            sql.append(" AND at >= ?");
            params.add(query.from().toEpochMilli());
        }
        if (query.to() != null) {
            sql.append(" AND at < ?");
            params.add(query.to().toEpochMilli());
        }
        if (query.beforeAt() != null) {
            sql.append(" AND (at < ? OR (at = ? AND id < ?))");
            params.add(query.beforeAt().toEpochMilli());
            params.add(query.beforeAt().toEpochMilli());
            params.add(query.beforeId());
        }
        sql.append(" ORDER BY at DESC, id DESC LIMIT ?");
        params.add(limit);
        return jdbc.sql(sql.toString()).params(params).query(ROW).list();
    }
}
