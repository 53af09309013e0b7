package dev.corral.it;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.ApiClient.Event;
import dev.corral.testsupport.ApiClient.EventStream;
import dev.corral.testsupport.IntegrationTest;
import dev.corral.testsupport.RecordedRequest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Conversations and streaming chat through the HTTP API, with everything checked against what is stored. Runs once
 * against SQLite and once against PostgreSQL.
 */
abstract class ConversationAndChatContract extends IntegrationTest {

    @Test
    void conversationCrudAndDefaultTitle() throws Exception {
        ApiClient user = newUser();
        ApiClient.Response created = user.post("/api/conversations",
                Map.of("model", "llama3.2:latest", "systemPrompt", "Be brief.", "temperature", 0.3));
        assertThat(created.status()).isEqualTo(201);
        String id = created.body().path("id").asString();
        assertThat(created.body().path("title").isNull()).isTrue();
        assertThat(created.body().path("temperature").asDouble()).isEqualTo(0.3);

        List<Event> events = user.chat(id, "What is the   capital of France? I need to know it for a crossword puzzle today");
        assertThat(events.getLast().name()).isEqualTo("done");

        JsonNode view = user.get("/api/conversations/" + id).body();
        assertThat(view.path("conversation").path("title").asString())
                .isEqualTo("What is the capital of France? I need to know it for a…");
        assertThat(view.path("conversation").path("systemPrompt").asString()).isEqualTo("Be brief.");

        ApiClient.Response renamed = user.patch("/api/conversations/" + id, Map.of("title", "Geography"));
        assertThat(renamed.status()).isEqualTo(200);
        assertThat(user.get("/api/conversations/" + id).body().path("conversation").path("title").asString())
                .isEqualTo("Geography");

        Map<String, Object> clear = new HashMap<>();
        clear.put("temperature", null);
        clear.put("systemPrompt", null);
        JsonNode cleared = user.patch("/api/conversations/" + id, clear).body();
        assertThat(cleared.path("temperature").isNull()).isTrue();
        assertThat(cleared.path("systemPrompt").isNull()).isTrue();
        assertThat(cleared.path("title").asString()).isEqualTo("Geography");

        assertThat(user.delete("/api/conversations/" + id).status()).isEqualTo(204);
        assertThat(user.get("/api/conversations/" + id).status()).isEqualTo(404);
        assertThat(user.delete("/api/conversations/" + id).status()).isEqualTo(404);
    }

    @Test
    void sidebarListsNewestFirstInPages() throws Exception {
        ApiClient user = newUser();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(createConversation(user, Map.of("model", "llama3.2:latest", "title", "Chat " + i)));
            sleepMillis(3); // distinct timestamps
        }
        // Activity moves a conversation to the top.
        user.chat(ids.get(1), "bump");

        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonNode page = user.get("/api/conversations?limit=2" + (cursor == null ? "" : "&cursor=" + cursor)).body();
            page.path("items").forEach(item -> seen.add(item.path("id").asString()));
            cursor = page.path("nextCursor").isNull() ? null : page.path("nextCursor").asString();
            pages++;
        } while (cursor != null);
        assertThat(pages).isEqualTo(3);
        assertThat(seen).containsExactly(ids.get(1), ids.get(4), ids.get(3), ids.get(2), ids.get(0));

        assertThat(user.get("/api/conversations?limit=0").errorCode()).isEqualTo("validation_failed");
        assertThat(user.get("/api/conversations?limit=101").status()).isEqualTo(400);
        assertThat(user.get("/api/conversations?cursor=not-a-cursor!").errorCode()).isEqualTo("validation_failed");
    }

    @Test
    void answerStreamsTokenByTokenAndIsStoredWithStatistics() throws Exception {
        ApiClient user = newUser();
        String id = createConversation(user, Map.of("model", "llama3.2:latest", "systemPrompt", "You are terse.",
                "temperature", 0.2));
        OLLAMA.setReply("Paris is the capital of France.");
        OLLAMA.setTokenDelay(Duration.ofMillis(10));

        List<Event> events = user.chat(id, "Capital of France?");
        assertThat(events.getFirst().name()).isEqualTo("start");
        JsonNode start = events.getFirst().data();
        assertThat(start.path("userMessage").path("content").asString()).isEqualTo("Capital of France?");
        assertThat(start.path("assistantMessage").path("status").asString()).isEqualTo("streaming");
        List<String> deltas = events.stream().filter(e -> e.name().equals("delta"))
                .map(e -> e.data().path("content").asString()).toList();
        assertThat(deltas.size()).isGreaterThan(1);
        assertThat(String.join("", deltas)).isEqualTo("Paris is the capital of France.");
        JsonNode done = events.getLast().data().path("message");
        assertThat(events.getLast().name()).isEqualTo("done");
        assertThat(done.path("status").asString()).isEqualTo("complete");
        assertThat(done.path("stats").path("doneReason").asString()).isEqualTo("stop");
        assertThat(done.path("stats").path("evalCount").asLong()).isEqualTo(OLLAMA.lastChat().tokensSent());

        // What Ollama was sent: system prompt first, then the conversation, with the temperature.
        JsonNode sent = sentToOllama();
        assertThat(sent.path("model").asString()).isEqualTo("llama3.2:latest");
        assertThat(sent.path("stream").asBoolean()).isTrue();
        assertThat(sent.path("options").path("temperature").asDouble()).isEqualTo(0.2);
        assertThat(sent.path("messages").get(0).path("role").asString()).isEqualTo("system");
        assertThat(sent.path("messages").get(0).path("content").asString()).isEqualTo("You are terse.");
        assertThat(sent.path("messages").get(1).path("content").asString()).isEqualTo("Capital of France?");

        // Stored: both messages on the current path, the answer complete with Ollama's statistics.
        JsonNode messages = user.get("/api/conversations/" + id).body().path("messages");
        assertThat(messages).hasSize(2);
        assertThat(messages.get(0).path("role").asString()).isEqualTo("user");
        assertThat(messages.get(1).path("parentId").asString()).isEqualTo(messages.get(0).path("id").asString());
        assertThat(messages.get(1).path("content").asString()).isEqualTo("Paris is the capital of France.");
        assertThat(messages.get(1).path("stats").path("totalDurationNs").asLong()).isPositive();
        assertThat(messages.get(1).path("model").asString()).isEqualTo("llama3.2:latest");

        // A second turn sends the whole history in order.
        OLLAMA.setReply("About 2.1 million.");
        user.chat(id, "Population?");
        JsonNode second = sentToOllama().path("messages");
        assertThat(second).hasSize(4);
        assertThat(second.get(2).path("role").asString()).isEqualTo("assistant");
        assertThat(second.get(2).path("content").asString()).isEqualTo("Paris is the capital of France.");
        assertThat(second.get(3).path("content").asString()).isEqualTo("Population?");
        assertThat(user.get("/api/conversations/" + id).body().path("messages")).hasSize(4);
    }

    @Test
    void answerIsStoredWhileItStreamsAndCompletesWhenTheBrowserLeaves() throws Exception {
        ApiClient user = newUser();
        String id = createConversation(user);
        OLLAMA.setTokenCount(60);
        OLLAMA.setTokenDelay(Duration.ofMillis(50)); // about 3 s in all

        EventStream stream = user.stream("/api/conversations/" + id + "/messages", Map.of("content", "Count"));
        String messageId = stream.until("start", Duration.ofSeconds(5)).data()
                .path("assistantMessage").path("id").asString();
        stream.until("delta", Duration.ofSeconds(5));
        stream.close(); // the tab is closed

        // Within about a second of streaming, the part generated so far is in the database.
        await("partial answer stored", Duration.ofSeconds(3), () -> {
            JsonNode last = user.get("/api/conversations/" + id).body().path("messages").get(1);
            return last.path("status").asString().equals("streaming") && !last.path("content").asString().isEmpty();
        });
        // Reopening the conversation picks up the live stream.
        try (EventStream again = user.stream("/api/conversations/" + id + "/messages/" + messageId + "/events", null)) {
            Event snapshot = again.next(Duration.ofSeconds(5));
            assertThat(snapshot.name()).isEqualTo("snapshot");
            assertThat(snapshot.data().path("message").path("status").asString()).isEqualTo("streaming");
            StringBuilder text = new StringBuilder(snapshot.data().path("message").path("content").asString());
            Event event;
            while ((event = again.next(Duration.ofSeconds(10))) != null && !event.name().equals("done")) {
                text.append(event.data().path("content").asString());
            }
            assertThat(event).isNotNull();
            assertThat(text.toString()).isEqualTo(event.data().path("message").path("content").asString());
        }
        JsonNode answer = user.get("/api/conversations/" + id).body().path("messages").get(1);
        assertThat(answer.path("status").asString()).isEqualTo("complete");
        assertThat(answer.path("content").asString()).startsWith("tok0 tok1").endsWith(" tok59");
        assertThat(OLLAMA.lastChat().state()).isEqualTo(RecordedRequest.State.COMPLETED);

        // A finished answer replays as snapshot + done.
        try (EventStream replay = user.stream("/api/conversations/" + id + "/messages/" + messageId + "/events", null)) {
            List<Event> all = replay.readAll(Duration.ofSeconds(5));
            assertThat(all).extracting(Event::name).containsExactly("snapshot", "done");
        }
    }

    @Test
    void stopClosesTheUpstreamRequestAndKeepsThePartialAnswer() throws Exception {
        ApiClient user = newUser();
        String id = createConversation(user);
        OLLAMA.setTokenCount(1000);
        OLLAMA.setTokenDelay(Duration.ofMillis(20));

        try (EventStream stream = user.stream("/api/conversations/" + id + "/messages", Map.of("content", "Go on"))) {
            String messageId = stream.until("start", Duration.ofSeconds(5)).data()
                    .path("assistantMessage").path("id").asString();
            for (int i = 0; i < 5; i++) {
                assertThat(stream.until("delta", Duration.ofSeconds(5))).isNotNull();
            }
            // A second message while the first is generating is refused.
            assertThat(user.post("/api/conversations/" + id + "/messages", Map.of("content", "more")).errorCode())
                    .isEqualTo("generation_in_progress");

            Instant stopAt = Instant.now();
            ApiClient.Response stop = user.post("/api/conversations/" + id + "/messages/" + messageId + "/stop", null);
            assertThat(stop.status()).isEqualTo(202);
            assertThat(stop.body().path("status").asString()).isEqualTo("stopped");
            assertThat(OLLAMA.awaitCancelled(Duration.ofSeconds(1))).isTrue();
            assertThat(Duration.between(stopAt, OLLAMA.lastChat().cancelledAt())).isLessThan(Duration.ofSeconds(1));

            Event done = stream.until("done", Duration.ofSeconds(5));
            assertThat(done.data().path("message").path("status").asString()).isEqualTo("stopped");
        }
        JsonNode answer = user.get("/api/conversations/" + id).body().path("messages").get(1);
        assertThat(answer.path("status").asString()).isEqualTo("stopped");
        assertThat(answer.path("content").asString()).startsWith("tok0 tok1 tok2 tok3 tok4");
        assertThat(answer.path("content").asString()).doesNotContain("tok999");
        // The conversation is usable again.
        OLLAMA.reset();
        assertThat(user.chat(id, "again").getLast().data().path("message").path("status").asString())
                .isEqualTo("complete");
    }

    @Test
    void regeneratingAFailedAnswerAddsABranchThatBecomesTheCurrentPath() throws Exception {
        ApiClient user = newUser();
        String id = createConversation(user);
        OLLAMA.setTokenCount(10);
        OLLAMA.setFailAfterTokens(3);
        JsonNode failed = user.chat(id, "Question").getLast().data().path("message");
        assertThat(failed.path("status").asString()).isEqualTo("failed");

        OLLAMA.reset();
        OLLAMA.setReply("A better answer.");
        List<Event> events;
        try (EventStream stream = user.postStream("/api/conversations/" + id + "/messages/"
                + failed.path("id").asString() + "/regenerate")) {
            events = stream.readAll(Duration.ofSeconds(10));
        }
        assertThat(events.getFirst().name()).isEqualTo("start");
        JsonNode start = events.getFirst().data();
        assertThat(start.path("userMessage").path("content").asString()).isEqualTo("Question");
        assertThat(start.path("assistantMessage").path("parentId").asString())
                .isEqualTo(start.path("userMessage").path("id").asString());
        assertThat(events.getLast().data().path("message").path("content").asString()).isEqualTo("A better answer.");

        // Ollama was asked the same question without the failed answer.
        JsonNode sent = sentToOllama().path("messages");
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).path("content").asString()).isEqualTo("Question");

        JsonNode path = user.get("/api/conversations/" + id).body().path("messages");
        assertThat(path).hasSize(2);
        assertThat(path.get(1).path("content").asString()).isEqualTo("A better answer.");
        assertThat(path.get(1).path("id").asString()).isNotEqualTo(failed.path("id").asString());

        // Only assistant messages can be regenerated.
        assertThat(user.post("/api/conversations/" + id + "/messages/" + path.get(0).path("id").asString()
                + "/regenerate", null).status()).isEqualTo(404);
    }

    @Test
    void deletingAConversationStopsItsGeneration() throws Exception {
        ApiClient user = newUser();
        String id = createConversation(user);
        OLLAMA.setTokenCount(1000);
        OLLAMA.setTokenDelay(Duration.ofMillis(20));
        try (EventStream stream = user.stream("/api/conversations/" + id + "/messages", Map.of("content", "Go"))) {
            stream.until("delta", Duration.ofSeconds(5));
            assertThat(user.delete("/api/conversations/" + id).status()).isEqualTo(204);
            assertThat(OLLAMA.awaitCancelled(Duration.ofSeconds(2))).isTrue();
        }
        assertThat(user.get("/api/conversations/" + id).status()).isEqualTo(404);
    }

    @Test
    void badInputIsRefusedAndChangesNothing() throws Exception {
        ApiClient user = newUser();
        String id = createConversation(user);
        int requestsBefore = OLLAMA.chatRequests().size();

        ApiClient.Response empty = user.post("/api/conversations/" + id + "/messages", Map.of("content", "  "));
        assertThat(empty.status()).isEqualTo(400);
        assertThat(empty.errorCode()).isEqualTo("validation_failed");
        assertThat(empty.body().path("error").path("fields").has("content")).isTrue();
        ApiClient.Response tooLong = user.post("/api/conversations/" + id + "/messages",
                Map.of("content", "x".repeat(4001)));
        assertThat(tooLong.errorCode()).isEqualTo("validation_failed");
        ApiClient.Response malformed = user.postRaw("/api/conversations/" + id + "/messages", "{\"content\":",
                "application/json");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.errorCode()).isEqualTo("malformed_request");
        assertThat(malformed.raw()).doesNotContain("Exception").doesNotContain("at dev.corral");

        assertThat(user.get("/api/conversations/" + id).body().path("messages")).isEmpty();
        assertThat(OLLAMA.chatRequests()).hasSize(requestsBefore);

        assertThat(user.post("/api/conversations", Map.of("model", "bad model name!")).errorCode())
                .isEqualTo("validation_failed");
        assertThat(user.post("/api/conversations", Map.of("model", "llama3.2", "temperature", 2.5)).errorCode())
                .isEqualTo("validation_failed");
        assertThat(user.post("/api/conversations", Map.of("model", "llama3.2", "temperature", "hot")).errorCode())
                .isEqualTo("validation_failed");
        assertThat(user.post("/api/conversations", Map.of("model", "llama3.2", "title", "t".repeat(201))).errorCode())
                .isEqualTo("validation_failed");
        assertThat(user.post("/api/conversations", Map.of("title", "no model")).errorCode())
                .isEqualTo("validation_failed");
        assertThat(user.get("/api/conversations").body().path("items")).hasSize(1);
    }

    private static JsonNode sentToOllama() {
        return ApiClient.JSON.readTree(OLLAMA.lastChat().body());
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
