package dev.corral.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import tools.jackson.databind.JsonNode;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.IntegrationTest;
import dev.corral.testsupport.PostgresDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/** On PostgreSQL Corral makes no backups and says so: pg_dump is the tool (DEPLOYMENT.md). */
@ExtendWith(PostgresDatabase.class)
class PostgresBackupIT extends IntegrationTest {

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        String url = PostgresDatabase.createDatabase();
        registry.add("corral.database-url", () -> url);
    }

    @Test
    void backupStatusSaysCorralDoesNotBackUpPostgresql() {
        ApiClient admin = admin();
        JsonNode status = admin.get("/backup/status").body();
        assertThat(status.path("supported").asBoolean(true)).isFalse();
        assertThat(status.path("message").asString())
                .isEqualTo("Corral does not back up PostgreSQL; use pg_dump (see DEPLOYMENT.md)");
        assertThat(status.properties()).hasSize(2);

        ApiClient.Response refused = admin.post("/api/admin/backups", null);
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.errorCode()).isEqualTo("backup_unsupported");
    }
}
