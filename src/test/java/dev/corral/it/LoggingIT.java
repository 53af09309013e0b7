package dev.corral.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.SeparateCorral;
import dev.corral.testsupport.SharedStandIn;
import dev.corral.testsupport.StandInOllama;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Logs as an operator reads them: JSON lines on the console and in LOG_DIR (app.log, error.log, access.log), each
 * carrying the id of the request it belongs to; X-Request-Id on every response; slow requests at WARN.
 */
@ExtendWith(OutputCaptureExtension.class)
class LoggingIT {

    private static final StandInOllama OLLAMA = SharedStandIn.get();
    private static final String UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
    private static final Duration LOG_WAIT = Duration.ofSeconds(10);

    @TempDir
    static Path dataDir;
    @TempDir
    static Path logDir;

    private static SeparateCorral corral;

    @BeforeAll
    static void start() {
        corral = SeparateCorral.start(dataDir,
                "--corral.logging.dir=" + logDir,
                "--corral.trusted-proxies=127.0.0.1, 10.0.0.0/8",
                "--corral.logging.slow-request-threshold=300ms");
    }

    @AfterAll
    static void stop() {
        if (corral != null) {
            corral.close();
        }
    }

    @BeforeEach
    void resetOllama() {
        OLLAMA.reset();
    }

    @Test
    void everyResponseHasARequestIdAndTheAccessLogLineCarriesIt(CapturedOutput console) {
        ApiClient admin = corral.admin();
        String userId = admin.get("/api/me").body().path("id").asString();
        String conversationId = createConversation(admin);

        ApiClient.Response conversation = admin.get("/api/conversations/" + conversationId);
        assertThat(conversation.status()).isEqualTo(200);
        String requestId = conversation.header("X-Request-Id");
        assertThat(requestId).matches(UUID_PATTERN);
        assertThat(admin.get("/api/conversations/" + conversationId).header("X-Request-Id"))
                .matches(UUID_PATTERN).isNotEqualTo(requestId);

        JsonNode line = awaitLine(logDir.resolve("access.log"), requestId);
        assertThat(line.path("logger_name").asString()).isEqualTo("corral.access");
        assertThat(line.path("level").asString()).isEqualTo("INFO");
        assertThat(line.path("@timestamp").asString()).isNotEmpty();
        assertThat(line.path("message").asString()).isNotEmpty();
        assertThat(line.path("method").asString()).isEqualTo("GET");
        // The route's template, never the raw path with the conversation's id.
        assertThat(line.path("path").asString()).isEqualTo("/api/conversations/{id}");
        assertThat(line.path("status").asInt()).isEqualTo(200);
        assertThat(line.path("durationMs").isNumber()).isTrue();
        assertThat(line.path("bytes").asLong()).isEqualTo(conversation.raw().getBytes(StandardCharsets.UTF_8).length);
        assertThat(line.path("userId").asString()).isEqualTo(userId);
        assertThat(line.path("clientIp").asString()).isEqualTo("127.0.0.1");
        assertThat(read(logDir.resolve("access.log"))).doesNotContain(conversationId);

        // The console has the same line, as JSON.
        await("the access line on the console", () -> jsonLines(console.getOut()).stream()
                .anyMatch(l -> requestId.equals(l.path("requestId").asString(null))
                        && "corral.access".equals(l.path("logger_name").asString(null))
                        && userId.equals(l.path("userId").asString(null))));
        // Access lines go to access.log only, not to app.log.
        assertThat(read(logDir.resolve("app.log"))).doesNotContain(requestId);

        // Every line of every file is one JSON object with the common fields.
        for (String file : List.of("app.log", "access.log", "error.log")) {
            for (String text : read(logDir.resolve(file)).lines().toList()) {
                JsonNode json = ApiClient.JSON.readTree(text);
                assertThat(json.has("@timestamp") && json.has("level") && json.has("logger_name")
                        && json.has("message")).as(file + ": " + text).isTrue();
            }
        }
    }

    @Test
    void aRequestIdFromATrustedProxyIsKeptWhenWellFormed() {
        ApiClient proxied = corral.anonymous().withHeader("X-Request-Id", "edge-42.a_B");
        ApiClient.Response response = proxied.get("/api/setup");
        assertThat(response.header("X-Request-Id")).isEqualTo("edge-42.a_B");
        assertThat(awaitLine(logDir.resolve("access.log"), "edge-42.a_B").path("path").asString())
                .isEqualTo("/api/setup");

        for (String malformed : List.of("with space", "a/b", "x".repeat(65), "quote\"d")) {
            String echoed = corral.anonymous().withHeader("X-Request-Id", malformed).get("/api/setup")
                    .header("X-Request-Id");
            assertThat(echoed).as(malformed).matches(UUID_PATTERN);
        }
    }

    @Test
    void aRequestIdFromAnUntrustedPeerIsReplaced() throws Exception {
        // Only 127.0.0.1 (and 10.0.0.0/8) are trusted: the same request from 127.0.0.2 is a stranger's.
        HttpClient fromElsewhere = HttpClient.newBuilder().localAddress(InetAddress.getByName("127.0.0.2")).build();
        HttpResponse<String> response = fromElsewhere.send(
                HttpRequest.newBuilder(URI.create(corral.baseUrl() + "/api/setup"))
                        .header("X-Request-Id", "forged-by-client").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        String requestId = response.headers().firstValue("X-Request-Id").orElseThrow();
        assertThat(requestId).matches(UUID_PATTERN);
        assertThat(awaitLine(logDir.resolve("access.log"), requestId).path("clientIp").asString())
                .isEqualTo("127.0.0.2");
    }

    @Test
    void noPasswordsCookiesTokensOrMessagesInTheLogs() {
        ApiClient admin = corral.admin();
        String conversationId = createConversation(admin);
        String secretMessage = "my secret message " + System.nanoTime();
        List<ApiClient.Event> events = admin.chat(conversationId, secretMessage);
        assertThat(events).extracting(ApiClient.Event::name).contains("done");
        ApiClient.Response last = admin.get("/api/conversations/" + conversationId + "/messages");
        awaitLine(logDir.resolve("access.log"), last.header("X-Request-Id"));

        String logs = read(logDir.resolve("access.log")) + read(logDir.resolve("app.log"))
                + read(logDir.resolve("error.log"));
        assertThat(logs).doesNotContain(dev.corral.testsupport.IntegrationTest.ADMIN_PASSWORD)
                .doesNotContain(secretMessage)
                .doesNotContain(admin.cookie("CORRAL_SESSION"))
                .doesNotContain(admin.cookie("XSRF-TOKEN"));
        assertThat(read(logDir.resolve("access.log"))).doesNotContain(conversationId)
                .contains("/api/conversations/{conversationId}/messages");
    }

    @Test
    void slowRequestsAreLoggedAtWarnButEventStreamsAreNot() {
        ApiClient admin = corral.admin();
        OLLAMA.setTagsDelay(Duration.ofMillis(600));
        ApiClient.Response models = admin.get("/api/models");
        assertThat(models.status()).isEqualTo(200);
        String slowId = models.header("X-Request-Id");

        JsonNode warning = awaitLine(logDir.resolve("app.log"), slowId);
        assertThat(warning.path("level").asString()).isEqualTo("WARN");
        assertThat(warning.path("message").asString()).startsWith("Slow request: GET /api/models took");
        assertThat(warning.path("durationMs").asLong()).isGreaterThanOrEqualTo(600);
        // error.log has errors only.
        assertThat(read(logDir.resolve("error.log"))).doesNotContain(slowId);

        // An answer's event stream lasts as long as the answer: logged when it ends, but not as slow.
        String conversationId = createConversation(admin);
        OLLAMA.setFirstByteDelay(Duration.ofMillis(600));
        String streamId;
        try (ApiClient.EventStream stream = admin.stream("/api/conversations/" + conversationId + "/messages",
                Map.of("content", "hello"))) {
            assertThat(stream.until("done", Duration.ofSeconds(30))).isNotNull();
            streamId = stream.header("X-Request-Id");
        }
        JsonNode streamed = awaitLine(logDir.resolve("access.log"), streamId);
        assertThat(streamed.path("path").asString()).isEqualTo("/api/conversations/{conversationId}/messages");
        assertThat(streamed.path("durationMs").asLong()).isGreaterThanOrEqualTo(600);
        // A later request's line proves the stream's request is over and would have been logged by now.
        awaitLine(logDir.resolve("access.log"), admin.get("/api/me").header("X-Request-Id"));
        assertThat(find(logDir.resolve("app.log"), l -> streamId.equals(l.path("requestId").asString(null))))
                .isEmpty();
    }

    @Test
    void anAnswersLogLinesCarryTheRequestAndUserThatStartedIt() {
        ApiClient admin = corral.admin();
        String userId = admin.get("/api/me").body().path("id").asString();
        String conversationId = createConversation(admin);
        // Ollama says "busy" once: the generation thread logs the retry.
        OLLAMA.setBusyResponses(1);
        String requestId;
        try (ApiClient.EventStream stream = admin.stream("/api/conversations/" + conversationId + "/messages",
                Map.of("content", "hello"))) {
            assertThat(stream.until("done", Duration.ofSeconds(30))).isNotNull();
            requestId = stream.header("X-Request-Id");
        }
        JsonNode retry = awaitLine(logDir.resolve("app.log"), requestId);
        assertThat(retry.path("logger_name").asString()).isEqualTo("dev.corral.ollama.OllamaClient");
        assertThat(retry.path("message").asString()).startsWith("Ollama is busy");
        assertThat(retry.path("thread_name").asString()).startsWith("generation-");
        assertThat(retry.path("userId").asString()).isEqualTo(userId);
    }

    private static String createConversation(ApiClient client) {
        ApiClient.Response created = client.post("/api/conversations", Map.of("model", "llama3.2:latest"));
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        return created.body().path("id").asString();
    }

    /** The first JSON line of {@code file} whose requestId is {@code requestId}, waiting for it to be written. */
    private static JsonNode awaitLine(Path file, String requestId) {
        assertThat(requestId).isNotNull();
        long deadline = System.nanoTime() + LOG_WAIT.toNanos();
        while (true) {
            Optional<JsonNode> line = find(file, l -> requestId.equals(l.path("requestId").asString(null)));
            if (line.isPresent()) {
                return line.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("No line with requestId " + requestId + " in " + file + ":\n" + read(file));
            }
            sleep();
        }
    }

    private static Optional<JsonNode> find(Path file, Predicate<JsonNode> matching) {
        return jsonLines(read(file)).stream().filter(matching).findFirst();
    }

    /** Every line of {@code text} that is a JSON object; any other line in a log file fails the test. */
    private static List<JsonNode> jsonLines(String text) {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("{")) {
                try {
                    lines.add(ApiClient.JSON.readTree(line));
                } catch (JacksonException e) {
                    // A line still being written; the next read sees it whole.
                }
            }
        }
        return lines;
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + LOG_WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out waiting: " + what);
            }
            sleep();
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
