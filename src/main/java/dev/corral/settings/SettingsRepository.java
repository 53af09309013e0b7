package dev.corral.settings;

import java.util.Map;
import java.util.stream.Collectors;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class SettingsRepository {

    private final JdbcClient jdbc;

    SettingsRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Every stored setting by key; a key missing here has its default value. */
    Map<String, String> findAll() {
        return jdbc.sql("SELECT key, value FROM settings")
                .query((rs, i) -> Map.entry(rs.getString("key"), rs.getString("value"))).list().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    void put(String key, String value, String updatedBy, long now) {
        // An upsert both SQLite (3.24+) and PostgreSQL understand.
        jdbc.sql("""
                INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,
                    updated_by = excluded.updated_by""")
                .params(key, value, now, updatedBy).update();
    }
}
