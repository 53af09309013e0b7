package dev.corral.conversation;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class MessageRepository {

    private static final RowMapper<Message> ROW = (rs, i) -> {
        String errorCode = rs.getString("error_code");
        String doneReason = rs.getString("done_reason");
        Long evalCount = nullableLong(rs, "eval_count");
        Message.Stats stats = doneReason == null && evalCount == null ? null : new Message.Stats(doneReason,
                nullableLong(rs, "prompt_eval_count"), evalCount, nullableLong(rs, "total_duration_ns"),
                nullableLong(rs, "load_duration_ns"), nullableLong(rs, "prompt_eval_duration_ns"),
                nullableLong(rs, "eval_duration_ns"));
        return new Message(rs.getString("id"), rs.getString("conversation_id"), rs.getString("parent_id"),
                Message.Role.valueOf(rs.getString("role")), rs.getString("content"),
                Message.Status.valueOf(rs.getString("status")), rs.getString("model"),
                errorCode == null ? null : new Message.Error(errorCode, rs.getString("error_message")), stats,
                Instant.ofEpochMilli(rs.getLong("created_at")), Instant.ofEpochMilli(rs.getLong("updated_at")));
    };

    /** Progress writes per JDBC batch; between batches the writer lets other virtual threads run. */
    private static final int PROGRESS_BATCH = 100;

    private final JdbcClient jdbc;
    private final JdbcTemplate batches;

    private static Long nullableLong(ResultSet rs, String column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : value;
    }

    MessageRepository(JdbcClient jdbc, JdbcTemplate batches) {
        this.jdbc = jdbc;
        this.batches = batches;
    }

    void insert(Message m) {
        jdbc.sql("""
                INSERT INTO messages (id, conversation_id, parent_id, role, content, status, model, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(m.id(), m.conversationId(), m.parentId(), m.role().name(), m.content(), m.status().name(),
                        m.model(), m.createdAt().toEpochMilli(), m.updatedAt().toEpochMilli())
                .update();
    }

    /** The messages from the root down to {@code leafId}, oldest first. */
    List<Message> path(String conversationId, String leafId) {
        return jdbc.sql("""
                WITH RECURSIVE path (id, parent_id, depth) AS (
                    SELECT id, parent_id, 0 FROM messages WHERE id = ? AND conversation_id = ?
                    UNION ALL
                    SELECT m.id, m.parent_id, p.depth + 1 FROM messages m JOIN path p ON m.id = p.parent_id
                )
                SELECT m.* FROM messages m JOIN path p ON m.id = p.id ORDER BY p.depth DESC""")
                .params(leafId, conversationId).query(ROW).list();
    }

    Optional<Message> find(String conversationId, String id) {
        return jdbc.sql("SELECT * FROM messages WHERE id = ? AND conversation_id = ?")
                .params(id, conversationId).query(ROW).optional();
    }

    /**
     * One prepared statement for all of them, in batches of bounded size. With a thousand answers streaming this
     * runs every second, on the progress writer's platform thread (which the operating system preempts for the
     * threads relaying tokens).
     */
    void updateContents(Map<String, String> contentById, long now) {
        List<Object[]> rows = new ArrayList<>(Math.min(PROGRESS_BATCH, contentById.size()));
        for (Map.Entry<String, String> e : contentById.entrySet()) {
            rows.add(new Object[] {e.getValue(), now, e.getKey()});
            if (rows.size() == PROGRESS_BATCH) {
                updateContentBatch(rows);
                rows.clear();
            }
        }
        if (!rows.isEmpty()) {
            updateContentBatch(rows);
        }
    }

    private void updateContentBatch(List<Object[]> rows) {
        batches.batchUpdate("UPDATE messages SET content = ?, updated_at = ? WHERE id = ? AND status = 'STREAMING'",
                rows);
    }

    void finish(String id, String content, Message.Status status, Message.Error error, Message.Stats stats, long now) {
        jdbc.sql("""
                UPDATE messages SET content = ?, status = ?, error_code = ?, error_message = ?, done_reason = ?,
                    prompt_eval_count = ?, eval_count = ?, total_duration_ns = ?, load_duration_ns = ?,
                    prompt_eval_duration_ns = ?, eval_duration_ns = ?, updated_at = ?
                WHERE id = ?""")
                .params(content, status.name(),
                        error == null ? null : error.code(), error == null ? null : error.message(),
                        stats == null ? null : stats.doneReason(), stats == null ? null : stats.promptEvalCount(),
                        stats == null ? null : stats.evalCount(), stats == null ? null : stats.totalDurationNs(),
                        stats == null ? null : stats.loadDurationNs(), stats == null ? null : stats.promptEvalDurationNs(),
                        stats == null ? null : stats.evalDurationNs(), now, id)
                .update();
    }

    int markAllStreamingInterrupted(long now) {
        return jdbc.sql("UPDATE messages SET status = 'INTERRUPTED', updated_at = ? WHERE status = 'STREAMING'")
                .param(now).update();
    }
}
