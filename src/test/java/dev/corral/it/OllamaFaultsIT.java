package dev.corral.it;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.ApiClient.Event;
import dev.corral.testsupport.ApiClient.EventStream;
import dev.corral.testsupport.IntegrationTest;

import static org.assertj.core.api.Assertions.assertThat;

/** Every way Ollama can fail is shown to the user and leaves the conversation consistent and usable. */
class OllamaFaultsIT extends IntegrationTest {

    @Test
    void modelsComeFromOllama() throws Exception {
        OLLAMA.setModels("llama3.2:latest", "qwen2.5:0.5b");
        JsonNode models = newUser().get("/api/models").body();
        assertThat(models.path("models").findValuesAsString("name")).containsExactly("llama3.2:latest", "qwen2.5:0.5b");
        assertThat(models.path("ollamaUrl").asString()).isEqualTo(OLLAMA.baseUrl());
    }

    @Test
    void unreachableOllamaIsReportedWithItsUrlAndTheChatRecoversWhenItIsBack() throws Exception {
        ApiClient user = newUser();
        String id = createConversation(user);
        OLLAMA.stopServer();
        try {
            ApiClient.Response models = user.get("/api/models");
            assertThat(models.status()).isEqualTo(502);
            assertThat(models.errorCode()).isEqualTo("ollama_unreachable");
            assertThat(models.body().path("error").path("message").asString()).contains(OLLAMA.baseUrl());

            List<Event> events = user.chat(id, "Hello?");
            JsonNode done = events.getLast().data().path("message");
            assertThat(done.path("status").asString()).isEqualTo("failed");
            assertThat(done.path("error").path("code").asString()).isEqualTo("ollama_unreachable");
            assertThat(done.path("error").path("message").asString()).contains(OLLAMA.baseUrl());
        } finally {
            OLLAMA.startServer();
        }
        // The user's message was stored before Ollama was called.
        JsonNode messages = user.get("/api/conversations/" + id).body().path("messages");
        assertThat(messages.get(0).path("content").asString()).isEqualTo("Hello?");
        assertThat(messages.get(1).path("status").asString()).isEqualTo("failed");

        assertThat(user.get("/api/models").status()).isEqualTo(200);
        List<Event> retry = user.chat(id, "Hello again?");
        assertThat(retry.getLast().data().path("message").path("status").asString()).isEqualTo("complete");
    }

    @Test
    void unknownModelFailsTheAnswerWithOllamasMessage() throws Exception {
        ApiClient user = newUser();
        String id = createConversation(user, Map.of("model", "no-such-model:7b"));
        JsonNode done = user.chat(id, "Hi").getLast().data().path("message");
        assertThat(done.path("status").asString()).isEqualTo("failed");
        assertThat(done.path("error").path("code").asString()).isEqualTo("model_not_found");
        assertThat(done.path("error").path("message").asString()).contains("model 'no-such-model:7b' not found");
    }

    @Test
    void busyOllamaIsRetriedWithBackoff() throws Exception {
        ApiClient user = newUser();
        String id = createConversation(user);
        OLLAMA.setBusyResponses(2);
        JsonNode done = user.chat(id, "Hi").getLast().data().path("message");
        assertThat(done.path("status").asString()).isEqualTo("complete");
        assertThat(OLLAMA.chatRequests()).hasSize(3);
    }

    @Test
    void busyOllamaThatStaysBusyEndsInAnError() throws Exception {
        ApiClient user = newUser();
        String id = createConversation(user);
        OLLAMA.setBusyResponses(100);
        JsonNode done = user.chat(id, "Hi").getLast().data().path("message");
        assertThat(done.path("status").asString()).isEqualTo("failed");
        assertThat(done.path("error").path("code").asString()).isEqualTo("ollama_busy");
        assertThat(OLLAMA.chatRequests()).hasSize(4); // the first try and three retries
    }

    @Test
    void errorInTheMiddleOfAnAnswerKeepsThePartAlreadyGenerated() throws Exception {
        ApiClient user = newUser();
        String id = createConversation(user);
        OLLAMA.setTokenCount(20);
        OLLAMA.setFailAfterTokens(5);
        List<Event> events = user.chat(id, "Hi");
        JsonNode done = events.getLast().data().path("message");
        assertThat(done.path("status").asString()).isEqualTo("failed");
        assertThat(done.path("error").path("code").asString()).isEqualTo("ollama_error");
        assertThat(done.path("error").path("message").asString())
                .contains("an error was encountered while running the model");
        JsonNode stored = user.get("/api/conversations/" + id).body().path("messages").get(1);
        assertThat(stored.path("content").asString()).isEqualTo("tok0 tok1 tok2 tok3 tok4");
        assertThat(stored.path("status").asString()).isEqualTo("failed");
    }

    @Test
    void droppedConnectionKeepsThePartAlreadyGenerated() throws Exception {
        ApiClient user = newUser();
        String id = createConversation(user);
        OLLAMA.setTokenCount(20);
        OLLAMA.setDropAfterTokens(3);
        JsonNode done = user.chat(id, "Hi").getLast().data().path("message");
        assertThat(done.path("status").asString()).isEqualTo("failed");
        assertThat(done.path("content").asString()).isEqualTo("tok0 tok1 tok2");
        assertThat(user.get("/api/conversations/" + id).body().path("messages").get(1).path("content").asString())
                .isEqualTo("tok0 tok1 tok2");
    }

    @Test
    void slowFirstByteIsWaitedForWithKeepAlivesMeanwhile() throws Exception {
        ApiClient user = newUser();
        String id = createConversation(user);
        // Longer than the short-call timeout would allow if it applied to chats (a cold model loading).
        OLLAMA.setFirstByteDelay(Duration.ofSeconds(3));
        OLLAMA.setReply("Loaded.");
        try (EventStream stream = user.stream("/api/conversations/" + id + "/messages", Map.of("content", "Hi"))) {
            assertThat(stream.next(Duration.ofSeconds(1)).name()).isEqualTo("start");
            Event done = stream.until("done", Duration.ofSeconds(20));
            assertThat(done.data().path("message").path("status").asString()).isEqualTo("complete");
            assertThat(done.data().path("message").path("content").asString()).isEqualTo("Loaded.");
            // Three silent seconds with a keep-alive interval of one (IntegrationTest): comment lines kept it open.
            assertThat(stream.comments()).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void stopWhileOllamaHangsBeforeTheFirstByteClosesTheRequest() throws Exception {
        ApiClient user = newUser();
        String id = createConversation(user);
        OLLAMA.setHang(true);
        try (EventStream stream = user.stream("/api/conversations/" + id + "/messages", Map.of("content", "Hi"))) {
            String messageId = stream.next(Duration.ofSeconds(5)).data().path("assistantMessage").path("id").asString();
            await("the request reached Ollama", Duration.ofSeconds(5), () -> OLLAMA.inFlight() == 1);
            ApiClient.Response stop = user.post("/api/conversations/" + id + "/messages/" + messageId + "/stop", null);
            assertThat(stop.body().path("status").asString()).isEqualTo("stopped");
            assertThat(OLLAMA.awaitCancelled(Duration.ofSeconds(1))).isTrue();
            assertThat(stream.until("done", Duration.ofSeconds(5))).isNotNull();
        }
    }
}
