package dev.corral.security;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.IntegrationTest;

import static org.assertj.core.api.Assertions.assertThat;

/** The audit log as an admin sees it: entries from each feature, filters, pages, CSV export, and who may read it. */
class AuditLogIT extends IntegrationTest {

    private static List<JsonNode> items(ApiClient.Response response) {
        assertThat(response.status()).as(response.raw()).isEqualTo(200);
        List<JsonNode> items = new ArrayList<>();
        response.body().path("items").forEach(items::add);
        return items;
    }

    private static String q(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    @Test
    void signInsFailuresAndAccountChangesAreRecordedWithActorIpAndOutcome() {
        String name = "aud" + UUID.randomUUID().toString().substring(0, 8);
        ApiClient admin = admin();
        assertThat(admin.post("/api/admin/users", Map.of("username", name, "password", PASSWORD)).status())
                .isEqualTo(201);
        ApiClient user = anonymous();
        assertThat(user.signIn(name, "not-the-password-1").errorCode()).isEqualTo("invalid_credentials");
        assertThat(user.signIn(name, PASSWORD).status()).isEqualTo(200);

        List<JsonNode> created = items(admin.get("/api/admin/audit?action=user_created&actor=" + ADMIN));
        assertThat(created).anySatisfy(e -> {
            assertThat(e.path("targetName").asString()).isEqualTo(name);
            assertThat(e.path("actorName").asString()).isEqualTo(ADMIN);
            assertThat(e.path("outcome").asString()).isEqualTo("success");
            assertThat(e.path("ip").asString()).isEqualTo("127.0.0.1");
        });
        List<JsonNode> signIns = items(admin.get("/api/admin/audit?actor=" + name));
        assertThat(signIns).anySatisfy(e -> {
            assertThat(e.path("action").asString()).isEqualTo("sign_in");
            assertThat(e.path("outcome").asString()).isEqualTo("success");
        });
        assertThat(signIns).anySatisfy(e -> {
            assertThat(e.path("action").asString()).isEqualTo("sign_in");
            assertThat(e.path("outcome").asString()).isEqualTo("failure");
        });
        // What is typed as a username is kept only if it could be one: not a password typed into the wrong field.
        ApiClient stranger = anonymous();
        stranger.signIn("x;=1+1 my-secret-pass", "whatever-password-1");
        assertThat(admin.get("/api/admin/audit?limit=200").raw()).doesNotContain("my-secret-pass");
        // Nothing secret is kept.
        assertThat(admin.get("/api/admin/audit?limit=200").raw()).doesNotContain(PASSWORD, "not-the-password-1");
    }

    @Test
    void filtersAndKeysetPagesWalkTheLogWithoutRepeats() {
        ApiClient admin = admin();
        for (int i = 0; i < 3; i++) {
            admin.post("/api/admin/users", Map.of("username", "pg" + UUID.randomUUID().toString().substring(0, 8),
                    "password", PASSWORD));
        }
        Set<String> seen = new HashSet<>();
        String cursor = null;
        int pages = 0;
        do {
            ApiClient.Response page = admin.get("/api/admin/audit?action=user_created&limit=2"
                    + (cursor == null ? "" : "&cursor=" + q(cursor)));
            List<JsonNode> entries = items(page);
            assertThat(entries).hasSizeLessThanOrEqualTo(2)
                    .allSatisfy(e -> assertThat(e.path("action").asString()).isEqualTo("user_created"));
            entries.forEach(e -> assertThat(seen.add(e.path("id").asString())).as("repeated entry").isTrue());
            cursor = page.body().path("nextCursor").isNull() ? null : page.body().path("nextCursor").asString();
            pages++;
        } while (cursor != null && pages < 100);
        assertThat(seen).hasSizeGreaterThanOrEqualTo(3);
        assertThat(pages).isGreaterThanOrEqualTo(2);

        // Dates: nothing before 2000, everything since then.
        assertThat(items(admin.get("/api/admin/audit?action=user_created&to=2000-01-01"))).isEmpty();
        assertThat(items(admin.get("/api/admin/audit?action=user_created&from=2000-01-01&limit=200")))
                .hasSizeGreaterThanOrEqualTo(3);
        assertThat(items(admin.get("/api/admin/audit?outcome=failure&action=user_created"))).isEmpty();
    }

    @Test
    void badFiltersAreFieldLevelErrors() {
        ApiClient admin = admin();
        Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("action=drop_tables", "action");
        bad.put("outcome=maybe", "outcome");
        bad.put("from=yesterday", "from");
        bad.put("from=2026-02-01&to=2026-01-01", "to");
        bad.put("cursor=%%%", "cursor");
        bad.put("limit=0", "limit");
        bad.put("limit=201", "limit");
        bad.put("from=%2B300000000-01-01T00:00:00Z", "from");
        bad.put("to=-5000-01-01T00:00:00Z", "to");
        bad.put("actor=a%00b", "actor");
        bad.put("actor=" + "x".repeat(65), "actor");
        bad.forEach((query, field) -> {
            ApiClient.Response refused = admin.get("/api/admin/audit?" + query.replace("%%%", "not-a-cursor"));
            assertThat(refused.status()).as(query).isEqualTo(400);
            assertThat(refused.errorCode()).isEqualTo("validation_failed");
            assertThat(refused.body().path("error").path("fields").has(field)).as(query + " " + refused.raw()).isTrue();
        });
        assertThat(admin.get("/api/admin/audit/export?action=nope").status()).isEqualTo(400);
    }

    @Test
    void onlyAdminsReadOrExportTheLog() {
        ApiClient user = newUser();
        for (String path : List.of("/api/admin/audit", "/api/admin/audit/export")) {
            ApiClient.Response refused = user.get(path);
            assertThat(refused.status()).as(path).isEqualTo(403);
            assertThat(refused.errorCode()).isEqualTo("forbidden");
            assertThat(anonymous().get(path).status()).as(path).isEqualTo(401);
        }
    }

    @Test
    void csvExportHasAHeaderQuotesCellsAndDefusesFormulas() {
        ApiClient admin = admin();
        // A username may start with '-', which a spreadsheet would read as a formula.
        String name = "-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(admin.post("/api/admin/users", Map.of("username", name, "password", PASSWORD)).status())
                .isEqualTo(201);

        ApiClient.Response csv = admin.get("/api/admin/audit/export?action=user_created");
        assertThat(csv.status()).isEqualTo(200);
        assertThat(csv.header("Content-Type")).startsWith("text/csv");
        assertThat(csv.header("Content-Disposition")).startsWith("attachment; filename=\"corral-audit-");
        String[] lines = csv.raw().split("\r\n");
        assertThat(lines[0]).isEqualTo("time,action,outcome,actor_id,actor,ip,target_type,target_id,target,detail");
        assertThat(lines).anySatisfy(line -> assertThat(line).contains(",\"'" + name + "\","));
        assertThat(List.of(lines).subList(1, lines.length))
                .allSatisfy(line -> assertThat(line).contains(",\"user_created\",").startsWith("\""));
    }
}
