package dev.corral.conversation;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Every query is scoped by the owner's id: a conversation of another user is simply not found. */
@Repository
class ConversationRepository {

    private static final String SELECT = """
            SELECT c.*, leaf.status AS leaf_status
            FROM conversations c LEFT JOIN messages leaf ON leaf.id = c.current_leaf_id
            """;

    private static final RowMapper<Conversation> ROW = (rs, i) -> new Conversation(
            rs.getString("id"), rs.getString("user_id"), rs.getString("title"), rs.getString("model"),
            rs.getString("system_prompt"), rs.getObject("temperature") == null ? null : rs.getDouble("temperature"),
            rs.getString("current_leaf_id"), Instant.ofEpochMilli(rs.getLong("created_at")),
            Instant.ofEpochMilli(rs.getLong("updated_at")), "STREAMING".equals(rs.getString("leaf_status")));

    private final JdbcClient jdbc;

    ConversationRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void insert(Conversation c) {
        jdbc.sql("""
                INSERT INTO conversations (id, user_id, title, model, system_prompt, temperature, current_leaf_id,
                                           created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)""")
                .params(c.id(), c.userId(), c.title(), c.model(), c.systemPrompt(), c.temperature(),
                        c.createdAt().toEpochMilli(), c.updatedAt().toEpochMilli())
                .update();
    }

    Optional<Conversation> find(String userId, String id) {
        return jdbc.sql(SELECT + " WHERE c.id = ? AND c.user_id = ?").params(id, userId).query(ROW).optional();
    }

    /** Newest activity first; keyset pagination after (updatedAt, id) when given. */
    List<Conversation> page(String userId, Long beforeUpdatedAt, String beforeId, int limit) {
        if (beforeUpdatedAt == null) {
            return jdbc.sql(SELECT + " WHERE c.user_id = ? ORDER BY c.updated_at DESC, c.id DESC LIMIT ?")
                    .params(userId, limit).query(ROW).list();
        }
        return jdbc.sql(SELECT + """
                 WHERE c.user_id = ? AND (c.updated_at < ? OR (c.updated_at = ? AND c.id < ?))
                 ORDER BY c.updated_at DESC, c.id DESC LIMIT ?""")
                .params(userId, beforeUpdatedAt, beforeUpdatedAt, beforeId, limit).query(ROW).list();
    }

    boolean update(Conversation c) {
        return jdbc.sql("""
                UPDATE conversations SET title = ?, model = ?, system_prompt = ?, temperature = ?, updated_at = ?
                WHERE id = ? AND user_id = ?""")
                .params(c.title(), c.model(), c.systemPrompt(), c.temperature(), c.updatedAt().toEpochMilli(),
                        c.id(), c.userId())
                .update() == 1;
    }

    void moveLeaf(String id, String leafId, String titleIfUnset, long now) {
        jdbc.sql("""
                UPDATE conversations SET current_leaf_id = ?, updated_at = ?, title = COALESCE(title, ?)
                WHERE id = ?""")
                .params(leafId, now, titleIfUnset, id).update();
    }

    boolean delete(String userId, String id) {
        return jdbc.sql("DELETE FROM conversations WHERE id = ? AND user_id = ?").params(id, userId).update() == 1;
    }
}
