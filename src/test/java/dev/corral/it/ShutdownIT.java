package dev.corral.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

import tools.jackson.databind.JsonNode;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.CorralProcess;
import dev.corral.testsupport.InProcessCorral;
import dev.corral.testsupport.StandInOllama;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Corral as a real process: SIGTERM during a generation lets it finish within SHUTDOWN_GRACE (or stores the part
 * generated, marked interrupted), refuses new chats meanwhile, and exits 0; a database from a newer Corral stops the
 * start with one clear message and a non-zero exit code.
 */
class ShutdownIT {

    private static final StandInOllama OLLAMA = new StandInOllama();
    private static final Duration START = Duration.ofSeconds(120);

    @TempDir
    Path dataDir;

    @AfterAll
    static void stopOllama() {
        OLLAMA.close();
    }

    private Map<String, String> environment(String grace) {
        Map<String, String> env = new HashMap<>();
        env.put("CORRAL_DATA_DIR", dataDir.toString());
        env.put("OLLAMA_BASE_URL", OLLAMA.baseUrl());
        env.put("CORRAL_ADMIN_USERNAME", InProcessCorral.ADMIN);
        env.put("CORRAL_ADMIN_PASSWORD", InProcessCorral.ADMIN_PASSWORD);
        env.put("SHUTDOWN_GRACE", grace);
        return env;
    }

    @Test
    void sigtermLetsARunningAnswerFinishWithinTheGraceRefusesNewChatsAndExitsZero() throws Exception {
        String reply = String.join(" ", Collections.nCopies(40, "Finishing before the exit."));
        OLLAMA.setReply(reply);
        OLLAMA.setTokenDelay(Duration.ofMillis(60)); // about 10 s of answer, well inside a 90 s grace

        String conversation;
        try (CorralProcess corral = CorralProcess.start(dataDir, environment("90s"), START)) {
            ApiClient admin = new ApiClient(corral.baseUrl());
            assertThat(admin.signIn(InProcessCorral.ADMIN, InProcessCorral.ADMIN_PASSWORD).status()).isEqualTo(200);
            conversation = create(admin);
            String other = create(admin);
            try (ApiClient.EventStream stream = admin.stream("/api/conversations/" + conversation + "/messages",
                    Map.of("content", "Please answer slowly."))) {
                assertThat(stream.until("delta", Duration.ofSeconds(30))).isNotNull();

                corral.terminate();
                assertNewChatsAreRefused(corral, admin, other);

                // The running answer continues to its end, and its listener sees it.
                ApiClient.Event done = stream.until("done", Duration.ofSeconds(60));
                assertThat(done).as(corral.output()).isNotNull();
                assertThat(done.data().path("message").path("status").asString()).isEqualTo("complete");
            }
            assertThat(corral.awaitExit(Duration.ofSeconds(60))).as(corral.output()).isEqualTo(0);
        }

        JsonNode answer = storedAnswer(conversation);
        assertThat(answer.path("status").asString()).isEqualTo("complete");
        assertThat(answer.path("content").asString()).isEqualTo(reply);
    }

    @Test
    void sigtermStoresThePartialAnswerAsInterruptedWhenTheGraceRunsOut() throws Exception {
        String reply = String.join(" ", Collections.nCopies(400, "Too long to finish."));
        OLLAMA.setReply(reply);
        OLLAMA.setTokenDelay(Duration.ofMillis(100)); // minutes of answer against a 1 s grace

        String conversation;
        StringBuilder received = new StringBuilder();
        try (CorralProcess corral = CorralProcess.start(dataDir, environment("1s"), START)) {
            ApiClient admin = new ApiClient(corral.baseUrl());
            assertThat(admin.signIn(InProcessCorral.ADMIN, InProcessCorral.ADMIN_PASSWORD).status()).isEqualTo(200);
            conversation = create(admin);
            try (ApiClient.EventStream stream = admin.stream("/api/conversations/" + conversation + "/messages",
                    Map.of("content", "Please answer at length."))) {
                for (int i = 0; i < 5; i++) {
                    ApiClient.Event delta = stream.until("delta", Duration.ofSeconds(30));
                    assertThat(delta).isNotNull();
                    received.append(delta.data().path("content").asString());
                }
                corral.terminate();
                assertThat(corral.awaitExit(Duration.ofSeconds(60))).as(corral.output()).isEqualTo(0);
            }
        }

        JsonNode answer = storedAnswer(conversation);
        assertThat(answer.path("status").asString()).isEqualTo("interrupted");
        String stored = answer.path("content").asString();
        // Everything generated until the stop is stored, including what was not yet flushed when SIGTERM came.
        assertThat(stored).startsWith(received.toString());
        assertThat(reply).startsWith(stored);
        assertThat(stored.length()).isLessThan(reply.length());
    }

    @Test
    void aDatabaseFromANewerCorralStopsTheStartWithOneClearMessage() throws Exception {
        MigrationIT.migrate(dataDir, "latest", "classpath:db/migration", "classpath:db/test-future");

        try (CorralProcess corral = CorralProcess.launch(dataDir, environment("30s"))) {
            Integer exit = corral.awaitExit(START);
            String output = corral.output();
            assertThat(exit).as(output).isNotNull().isNotZero();
            assertThat(output).contains("The database at " + dataDir.resolve("corral.db").toAbsolutePath()
                    + " has schema version 999, newer than this Corral (");
            assertThat(output).contains("Use a newer Corral or restore a backup.");
            assertThat(output).as("no stack trace on the console").doesNotContain("\tat ");
        }
    }

    /** Once Corral logs that it is shutting down, a new chat gets 503 shutting_down. */
    private static void assertNewChatsAreRefused(CorralProcess corral, ApiClient admin, String conversation) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!corral.output().contains("Shutting down: waiting up to 90 s for 1 running answer(s)")) {
            assertThat(System.nanoTime()).as("shutdown log line; output:\n" + corral.output()).isLessThan(deadline);
            sleep(50);
        }
        try (ApiClient.EventStream attempt = admin.stream("/api/conversations/" + conversation + "/messages",
                Map.of("content", "Are you still there?"))) {
            assertThat(attempt.status()).isEqualTo(503);
            JsonNode error = attempt.errorBody().path("error");
            assertThat(error.path("code").asString()).isEqualTo("shutting_down");
            assertThat(error.path("message").asString()).isEqualTo("Corral is shutting down; try again in a moment.");
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static String create(ApiClient client) {
        ApiClient.Response created = client.post("/api/conversations", Map.of("model", "llama3.2:latest"));
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        return created.body().path("id").asString();
    }

    /** Starts Corral again on the same data directory and reads the conversation's answer. */
    private JsonNode storedAnswer(String conversation) {
        try (ConfigurableApplicationContext corral = InProcessCorral.start(dataDir)) {
            JsonNode messages = InProcessCorral.admin(corral).get("/api/conversations/" + conversation).body()
                    .path("messages");
            assertThat(messages).hasSize(2);
            return messages.get(1);
        }
    }
}
