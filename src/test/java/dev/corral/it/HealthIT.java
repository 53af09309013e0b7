package dev.corral.it;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import tools.jackson.databind.JsonNode;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.IntegrationTest;
import dev.corral.testsupport.SeparateCorral;
import dev.corral.testsupport.StandInOllama;

import static org.assertj.core.api.Assertions.assertThat;

/** /health, /health/live, /health/ready and /info as an orchestrator, a user and an admin see them. */
class HealthIT extends IntegrationTest {

    @TempDir
    Path separateDataDir;

    @Test
    void anonymousCallersAndUsersSeeTheStatusOnly() {
        for (ApiClient caller : new ApiClient[] {anonymous(), newUser()}) {
            for (String path : new String[] {"/health", "/health/live", "/health/ready"}) {
                ApiClient.Response health = caller.get(path);
                assertThat(health.status()).as(path).isEqualTo(200);
                assertStatusOnly(health.body());
                assertThat(health.body().path("status").asString()).isEqualTo("UP");
            }
            // A single check's path would show its details: not for them.
            assertThat(caller.get("/health/ollama").status()).isEqualTo(404);
        }
    }

    @Test
    void adminsSeeEveryCheck() {
        ApiClient.Response health = admin().get("/health");
        assertThat(health.status()).isEqualTo(200);
        JsonNode checks = health.body().path("components");

        JsonNode db = checks.path("db");
        assertThat(db.path("status").asString()).isEqualTo("UP");
        assertThat(db.path("details").path("database").asString()).isEqualTo("SQLite");
        // A real query, not just Connection.isValid().
        assertThat(db.path("details").path("validationQuery").asString()).startsWith("SELECT");
        assertThat(db.path("details").path("result").asInt()).isPositive();

        JsonNode ollama = checks.path("ollama");
        assertThat(ollama.path("status").asString()).isEqualTo("UP");
        assertThat(ollama.path("details").path("version").asString()).isEqualTo(StandInOllama.VERSION);
        assertThat(ollama.path("details").path("url").asString()).isEqualTo(OLLAMA.baseUrl());
        assertThat(ollama.path("details").path("latencyMs").isNumber()).isTrue();

        JsonNode dataDirectory = checks.path("dataDirectory");
        assertThat(dataDirectory.path("status").asString()).isEqualTo("UP");
        assertThat(dataDirectory.path("details").path("writable").asBoolean()).isTrue();
        assertThat(dataDirectory.path("details").path("freeBytes").asLong()).isPositive();
        assertThat(dataDirectory.path("details").path("minFreeBytes").asLong()).isEqualTo(1024L * 1024 * 1024);

        JsonNode ready = admin().get("/health/ready").body().path("components");
        assertThat(ready.propertyNames()).containsExactlyInAnyOrder("db", "dataDirectory", "readinessState");
    }

    @Test
    void healthIsDownWhileOllamaIsStoppedAndUpWhenItReturns() {
        ApiClient admin = admin();
        assertThat(anonymous().get("/health").status()).isEqualTo(200);
        OLLAMA.stopServer();
        try {
            ApiClient.Response anonymousView = anonymous().get("/health");
            assertThat(anonymousView.status()).isEqualTo(503);
            assertStatusOnly(anonymousView.body());
            assertThat(anonymousView.body().path("status").asString()).isEqualTo("DOWN");

            ApiClient.Response adminView = admin.get("/health");
            assertThat(adminView.status()).isEqualTo(503);
            JsonNode ollama = adminView.body().path("components").path("ollama");
            assertThat(ollama.path("status").asString()).isEqualTo("DOWN");
            assertThat(ollama.path("details").path("error").asString()).contains("Cannot reach Ollama");
            assertThat(adminView.body().path("components").path("db").path("status").asString()).isEqualTo("UP");

            // Alive and ready without Ollama: Corral still serves sign-in and the stored conversations.
            assertThat(anonymous().get("/health/live").status()).isEqualTo(200);
            assertThat(anonymous().get("/health/ready").status()).isEqualTo(200);
        } finally {
            OLLAMA.startServer();
        }
        ApiClient.Response back = anonymous().get("/health");
        assertThat(back.status()).isEqualTo(200);
        assertThat(back.body().path("status").asString()).isEqualTo("UP");
    }

    @Test
    void lowFreeSpaceIsAWarningThatStillAnswers200() {
        // No disk has a million terabytes free.
        try (SeparateCorral corral = SeparateCorral.start(separateDataDir,
                "--corral.health.data-dir-min-free=1000000TB")) {
            ApiClient.Response anonymousView = corral.anonymous().get("/health");
            assertThat(anonymousView.status()).isEqualTo(200);
            assertThat(anonymousView.body().path("status").asString()).isEqualTo("WARNING");

            JsonNode dataDirectory = corral.admin().get("/health").body().path("components").path("dataDirectory");
            assertThat(dataDirectory.path("status").asString()).isEqualTo("WARNING");
            assertThat(dataDirectory.path("details").path("writable").asBoolean()).isTrue();
            assertThat(corral.anonymous().get("/health/ready").status()).isEqualTo(200);
        }
    }

    @Test
    void infoIsForAdmins() {
        ApiClient.Response anonymousView = anonymous().get("/info");
        assertThat(anonymousView.status()).isEqualTo(401);
        assertThat(anonymousView.errorCode()).isEqualTo("unauthenticated");
        ApiClient.Response userView = newUser().get("/info");
        assertThat(userView.status()).isEqualTo(403);
        assertThat(userView.errorCode()).isEqualTo("forbidden");

        ApiClient.Response info = admin().get("/info");
        assertThat(info.status()).isEqualTo(200);
        JsonNode body = info.body();
        assertThat(body.path("build").path("version").asString()).isNotEmpty();
        assertThat(body.path("build").path("time").asString()).isNotEmpty();
        assertThat(body.path("git").path("commit").path("id").asString()).isNotEmpty();
        assertThat(body.path("java").path("version").asString()).isEqualTo(System.getProperty("java.version"));
        assertThat(body.path("database").path("kind").asString()).isEqualTo("SQLite");
        assertThat(body.path("uptime").path("seconds").isNumber()).isTrue();
        assertThat(body.path("uptime").path("startedAt").asString()).isNotEmpty();
    }

    /** The status and nothing about any check (Actuator also names the probe groups, /health/live and /ready). */
    private static void assertStatusOnly(JsonNode health) {
        assertThat(health.propertyNames()).contains("status").isSubsetOf("status", "groups");
        if (health.has("groups")) {
            assertThat(health.path("groups").valueStream().map(JsonNode::asString)).containsExactly("live", "ready");
        }
    }
}
