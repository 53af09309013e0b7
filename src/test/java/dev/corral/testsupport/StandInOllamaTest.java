package dev.corral.testsupport;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

@Timeout(20)
class StandInOllamaTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern CREATED_AT =
            Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{0,8}[1-9])?Z");
    private static final String HI = chatBody("llama3.2", "hi there", null);

    private StandInOllama ollama;
    private HttpClient http;

    @BeforeEach
    void start() {
        ollama = new StandInOllama();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterEach
    void stop() {
        http.shutdownNow();
        ollama.close();
    }

    // ------------------------------------------------------------------------------------------------ basics

    @Test
    void rootAnswersGetAndHead() throws Exception {
        HttpResponse<String> get = send("GET", "/", null);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
        assertThat(get.body()).isEqualTo("Ollama is running");

        HttpResponse<String> head = send("HEAD", "/", null);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("content-length")).hasValue("17");
        assertThat(head.body()).isEmpty();
    }

    @Test
    void versionTagsAndPs() throws Exception {
        HttpResponse<String> version = send("GET", "/api/version", null);
        assertThat(version.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
        assertThat(version.body()).isEqualTo("{\"version\":\"0.33.0\"}");

        HttpResponse<String> tags = send("GET", "/api/tags", null);
        assertThat(tags.statusCode()).isEqualTo(200);
        assertThat(tags.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
        JsonNode models = JSON.readTree(tags.body()).get("models");
        assertThat(models.size()).isEqualTo(3);
        List<String> names = new ArrayList<>();
        for (JsonNode m : models) {
            names.add(m.get("name").asString());
            assertThat(m.get("model").asString()).isEqualTo(m.get("name").asString());
            String modified = m.get("modified_at").asString();
            assertThat(modified).endsWith("-07:00");
            assertThat(OffsetDateTime.parse(modified).getOffset().getTotalSeconds()).isEqualTo(-7 * 3600);
            assertThat(m.get("size").asLong()).isPositive();
            assertThat(m.get("digest").asString()).matches("[0-9a-f]{64}");
            JsonNode d = m.get("details");
            assertThat(d.propertyNames()).containsExactly("parent_model", "format", "family", "families",
                    "parameter_size", "quantization_level");
            assertThat(d.get("format").asString()).isEqualTo("gguf");
            assertThat(d.get("families").get(0).asString()).isEqualTo(d.get("family").asString());
            assertThat(m.has("expires_at")).isFalse();
        }
        assertThat(names).containsExactly("llama3.2:latest", "qwen2.5:0.5b", "slow:latest");
        // the fraction of modified_at varies in length, like Go's RFC3339Nano
        assertThat(models.get(0).get("modified_at").asString()).isEqualTo("2025-05-04T17:37:44.706015396-07:00");
        assertThat(models.get(2).get("modified_at").asString()).doesNotContain(".");

        ollama.setModels();
        assertThat(send("GET", "/api/tags", null).body()).isEqualTo("{\"models\":[]}");
        assertThat(send("GET", "/api/ps", null).body()).isEqualTo("{\"models\":[]}");
        ollama.setModels("mistral", "Phi3:mini");
        assertThat(ollama.models()).containsExactly("mistral:latest", "Phi3:mini");
        assertThat(ollama.requestLog()).contains("GET /api/version", "GET /api/tags", "GET /api/ps");
    }

    @Test
    void unknownRouteIs404AndWrongMethodIs405() throws Exception {
        HttpResponse<String> notFound = send("GET", "/api/nope", null);
        assertThat(notFound.statusCode()).isEqualTo(404);
        assertThat(notFound.headers().firstValue("content-type")).hasValue("text/plain");
        assertThat(notFound.body()).isEqualTo("404 page not found");

        HttpResponse<String> wrongMethod = send("GET", "/api/chat", null);
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("content-type")).hasValue("text/plain");
        assertThat(wrongMethod.body()).isEqualTo("405 method not allowed");
        assertThat(send("POST", "/api/tags", "{}").statusCode()).isEqualTo(405);
        assertThat(ollama.chatRequests()).isEmpty();
    }

    // ------------------------------------------------------------------------------------------------ streaming

    @Test
    void chatStreamsNdjsonChunksEndingWithDoneAndStats() throws Exception {
        HttpResponse<String> r = send("POST", "/api/chat", HI);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/x-ndjson");
        assertThat(r.headers().firstValue("transfer-encoding")).hasValue("chunked");
        assertThat(r.headers().firstValue("content-length")).isEmpty();
        assertThat(r.body()).endsWith("}\n").doesNotContain("\r").doesNotContain("\n\n");

        List<JsonNode> lines = parseLines(r.body());
        List<String> tokens = new ArrayList<>();
        for (JsonNode line : lines.subList(0, lines.size() - 1)) {
            assertThat(line.propertyNames()).containsExactly("model", "created_at", "message", "done");
            assertThat(line.get("model").asString()).isEqualTo("llama3.2");
            assertThat(line.get("created_at").asString()).matches(CREATED_AT);
            assertThat(line.get("message").get("role").asString()).isEqualTo("assistant");
            assertThat(line.get("done").asBoolean()).isFalse();
            tokens.add(line.get("message").get("content").asString());
        }
        assertThat(tokens).containsExactly("Hello", "!", " You", " said", ":", " hi", " there");

        JsonNode done = lines.getLast();
        assertThat(done.propertyNames()).containsExactly("model", "created_at", "message", "done", "done_reason",
                "total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_count",
                "eval_duration");
        assertThat(done.get("message").get("content").asString()).isEmpty();
        assertThat(done.get("done").asBoolean()).isTrue();
        assertThat(done.get("done_reason").asString()).isEqualTo("stop");
        assertThat(done.get("eval_count").asLong()).isEqualTo(tokens.size());
        for (String f : List.of("total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration",
                "eval_duration")) {
            assertThat(done.get(f).isIntegralNumber()).as(f).isTrue();
            assertThat(done.get(f).asLong()).as(f).isPositive();
        }
        assertThat(done.get("total_duration").asLong()).isGreaterThanOrEqualTo(
                done.get("load_duration").asLong() + done.get("eval_duration").asLong());

        RecordedRequest rec = ollama.lastChat();
        assertThat(rec.state()).isEqualTo(RecordedRequest.State.COMPLETED);
        assertThat(rec.status()).isEqualTo(200);
        assertThat(rec.tokensSent()).isEqualTo(7);
        assertThat(ollama.inFlight()).isZero();
    }

    @Test
    void wireFormatIsOneChunkPerLine() throws Exception {
        ollama.setReplyTokens(List.of("A", " b"));
        RawResponse r = RawResponse.exchange(ollama.port(), post("/api/chat", HI, true));
        assertThat(r.statusLine).isEqualTo("HTTP/1.1 200 OK");
        assertThat(r.headerNames()).containsExactly("Content-Type", "Date", "Connection", "Transfer-Encoding");
        assertThat(r.header("Content-Type")).isEqualTo("application/x-ndjson");
        assertThat(r.header("Date")).matches("\\w{3}, \\d\\d \\w{3} \\d{4} \\d\\d:\\d\\d:\\d\\d GMT");
        assertThat(r.header("Connection")).isEqualTo("close");
        assertThat(r.header("Transfer-Encoding")).isEqualTo("chunked");
        assertThat(r.chunks).hasSize(3);
        for (String chunk : r.chunks) {
            assertThat(chunk).endsWith("\n");
            assertThat(chunk.indexOf('\n')).isEqualTo(chunk.length() - 1);
        }
        assertThat(r.chunks.get(0)).matches("\\{\"model\":\"llama3.2\",\"created_at\":\"[^\"]+Z\",\"message\":"
                + "\\{\"role\":\"assistant\",\"content\":\"A\"},\"done\":false}\n");
        assertThat(r.chunks.get(2)).contains("\"done\":true,\"done_reason\":\"stop\",\"total_duration\":");
        assertThat(r.terminated).isTrue();
    }

    @Test
    void goEscapingOfHtmlCharacters() throws Exception {
        ollama.setReply("<b>Tom & \"Jerry\"</b>\n\tok\u2028");
        String body = send("POST", "/api/chat", chatBody("llama3.2", "x", false)).body();
        assertThat(body).contains("\"content\":\"\\u003cb\\u003eTom \\u0026 \\\"Jerry\\\"\\u003c/b\\u003e\\n\\tok\\u2028\"");
        assertThat(JSON.readTree(body).get("message").get("content").asString())
                .isEqualTo("<b>Tom & \"Jerry\"</b>\n\tok\u2028");

        String streamed = send("POST", "/api/chat", HI).body();
        assertThat(streamed).contains("\"content\":\"\\u003c\"").doesNotContain("<");
        assertThat(StandInOllama.tokenize("Hello! You said: a  b")).containsExactly(
                "Hello", "!", " You", " said", ":", " a", " ", " b");
    }

    @Test
    void streamFalseReturnsOneAggregatedObject() throws Exception {
        HttpResponse<String> r = send("POST", "/api/chat", chatBody("llama3.2", "hi", false));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
        assertThat(r.headers().firstValue("content-length")).hasValue(String.valueOf(r.body().getBytes(UTF_8).length));
        assertThat(r.body()).doesNotContain("\n");
        JsonNode o = JSON.readTree(r.body());
        assertThat(o.get("message").get("content").asString()).isEqualTo("Hello! You said: hi");
        assertThat(o.get("done").asBoolean()).isTrue();
        assertThat(o.get("done_reason").asString()).isEqualTo("stop");
        assertThat(o.get("eval_count").asInt()).isEqualTo(6);
        assertThat(ollama.lastChat().state()).isEqualTo(RecordedRequest.State.COMPLETED);
        assertThat(ollama.lastChat().stream()).isFalse();
    }

    @Test
    void streamDefaultsToTrueWhenAbsentOrNull() throws Exception {
        String withNull = "{\"model\":\"llama3.2\",\"stream\":null,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
        HttpResponse<String> r = send("POST", "/api/chat", withNull);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/x-ndjson");
        assertThat(parseLines(r.body()).getLast().get("done").asBoolean()).isTrue();
        assertThat(ollama.lastChat().stream()).isNull();
    }

    @Test
    void scriptedReplies() throws Exception {
        ollama.setTokenCount(4);
        assertThat(contents(send("POST", "/api/chat", HI).body())).containsExactly("tok0", " tok1", " tok2", " tok3");
        ollama.setReply("One, two");
        assertThat(contents(send("POST", "/api/chat", HI).body())).containsExactly("One", ",", " two");
        ollama.setReplyTokens(List.of("x", "y"));
        assertThat(contents(send("POST", "/api/chat", HI).body())).containsExactly("x", "y");
        // num_predict shorter than the reply: done_reason "length"
        ollama.setTokenCount(10);
        String limited = "{\"model\":\"llama3.2\",\"options\":{\"num_predict\":3},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
        List<JsonNode> lines = parseLines(send("POST", "/api/chat", limited).body());
        assertThat(lines).hasSize(4);
        assertThat(lines.getLast().get("done_reason").asString()).isEqualTo("length");
        ollama.reset();
        assertThat(contents(send("POST", "/api/chat", HI).body())).startsWith("Hello");
    }

    @Test
    void tokenDelayPacesChunks() throws Exception {
        ollama.setTokenCount(5);
        ollama.setTokenDelay(Duration.ofMillis(40));
        long t0 = System.nanoTime();
        send("POST", "/api/chat", HI);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(160));
    }

    @Test
    void recordsRequestFields() throws Exception {
        String body = "{\"model\":\"qwen2.5:0.5b\",\"options\":{\"temperature\":0.7,\"num_ctx\":4096},"
                + "\"keep_alive\":\"10m\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
                + "{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}";
        send("POST", "/api/chat", body);
        RecordedRequest r = ollama.lastChat();
        assertThat(r.body()).isEqualTo(body);
        assertThat(r.model()).isEqualTo("qwen2.5:0.5b");
        assertThat(r.messages()).containsExactly(new RecordedRequest.Message("system", "be brief"),
                new RecordedRequest.Message("user", "hi"));
        assertThat(r.options()).containsEntry("temperature", 0.7).containsEntry("num_ctx", 4096L);
        assertThat(r.stream()).isTrue();
        assertThat(r.keepAlive()).isEqualTo("10m");
        assertThat(r.header("Content-Type")).isEqualTo("application/json");
        assertThat(r.receivedAt()).isBeforeOrEqualTo(Instant.now());
        assertThat(ollama.chatRequests()).containsExactly(r);
    }

    // ------------------------------------------------------------------------------------------------ validation

    @Test
    void validationErrorsLikeOllama() throws Exception {
        assertError("", 400, "missing request body");
        assertError("   \n", 400, "missing request body");
        assertError("{\"model\":", 400, "unexpected EOF");
        assertError("{\"model\":\"llama3.2\",}", 400,
                "invalid character '}' looking for beginning of object key string");
        assertError("{model:1}", 400, "invalid character 'm' looking for beginning of object key string");
        assertError("nope", 400, "invalid character 'o' in literal null (expecting 'u')");
        assertError("[1]", 400, "json: cannot unmarshal array into Go value of type api.ChatRequest");
        assertError("{\"model\":\"llama3.2\",\"stream\":\"yes\"}", 400,
                "json: cannot unmarshal string into Go struct field ChatRequest.stream of type bool");
        assertError("{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":1}]}", 400,
                "json: cannot unmarshal number into Go struct field Message.messages.content of type string");
        assertError("{\"model\":\"llama3.2\",\"keep_alive\":\"3600\"}", 400,
                "time: missing unit in duration \"3600\"");
        assertError("{\"messages\":[]}", 400, "model is required");
        assertError("{\"model\":\"\"}", 400, "model is required");
        assertError(chatBody("xyz", "hi", null), 404, "model 'xyz' not found");
        assertError(chatBody("llama3.2:1b", "hi", null), 404, "model 'llama3.2:1b' not found");
        assertThat(ollama.chatRequests()).hasSize(14).allSatisfy(r -> {
            assertThat(r.state()).isEqualTo(RecordedRequest.State.FAILED);
            assertThat(r.status()).isIn(400, 404);
        });
        // trailing data after the first JSON value is ignored (json.Decoder reads one value)
        assertThat(send("POST", "/api/chat", HI + " trailing").statusCode()).isEqualTo(200);
    }

    @Test
    void modelNamesMatchCaseInsensitivelyWithDefaultTag() throws Exception {
        for (String name : List.of("llama3.2", "LLAMA3.2:latest", "Qwen2.5:0.5B", "slow", "library/llama3.2",
                "registry.ollama.ai/library/slow:latest")) {
            HttpResponse<String> r = send("POST", "/api/chat", chatBody(name, "hi", false));
            assertThat(r.statusCode()).as(name).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).get("model").asString()).isEqualTo(name);
        }
    }

    @Test
    void emptyMessagesLoadTheModel() throws Exception {
        HttpResponse<String> r = send("POST", "/api/chat", "{\"model\":\"llama3.2\",\"messages\":[]}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
        JsonNode o = JSON.readTree(r.body());
        assertThat(o.propertyNames()).containsExactly("model", "created_at", "message", "done", "done_reason");
        assertThat(o.get("done_reason").asString()).isEqualTo("load");
        assertThat(o.get("message").get("content").asString()).isEmpty();
        assertThat(ollama.lastChat().state()).isEqualTo(RecordedRequest.State.COMPLETED);

        JsonNode unload = JSON.readTree(send("POST", "/api/chat", "{\"model\":\"llama3.2\",\"keep_alive\":0}").body());
        assertThat(unload.get("done_reason").asString()).isEqualTo("unload");
    }

    // ------------------------------------------------------------------------------------------------ faults

    @Test
    void busyResponsesThen200() throws Exception {
        ollama.setBusyResponses(2);
        for (int k = 0; k < 2; k++) {
            HttpResponse<String> r = send("POST", "/api/chat", HI);
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
            assertThat(r.body()).isEqualTo(
                    "{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}");
        }
        assertThat(send("POST", "/api/chat", HI).statusCode()).isEqualTo(200);
        assertThat(ollama.chatRequests()).extracting(RecordedRequest::status).containsExactly(503, 503, 200);
    }

    @Test
    void failAfterTokensWritesErrorLineAndEndsTheStreamCleanly() throws Exception {
        ollama.setTokenCount(5);
        ollama.setFailAfterTokens(2);
        HttpResponse<String> r = send("POST", "/api/chat", HI); // reads to a clean end of stream
        assertThat(r.statusCode()).isEqualTo(200);
        List<JsonNode> lines = parseLines(r.body());
        assertThat(lines).hasSize(3);
        assertThat(lines.get(1).get("done").asBoolean()).isFalse();
        assertThat(r.body()).endsWith("{\"error\":\"an error was encountered while running the model\"}\n");
        assertThat(r.body()).doesNotContain("\"done\":true");
        assertThat(ollama.lastChat().state()).isEqualTo(RecordedRequest.State.FAILED);

        // the connection stays usable after the error line
        RawResponse raw = RawResponse.exchange(ollama.port(), post("/api/chat", HI, true));
        assertThat(raw.chunks).hasSize(3);
        assertThat(raw.terminated).isTrue();

        // before the first line: a real status, Content-Type without charset (Ollama's streamResponse)
        ollama.setFailAfterTokens(0);
        HttpResponse<String> early = send("POST", "/api/chat", HI);
        assertThat(early.statusCode()).isEqualTo(500);
        assertThat(early.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(early.body()).isEqualTo("{\"error\":\"an error was encountered while running the model\"}");
        HttpResponse<String> nonStream = send("POST", "/api/chat", chatBody("llama3.2", "x", false));
        assertThat(nonStream.statusCode()).isEqualTo(500);
        assertThat(nonStream.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
    }

    @Test
    void dropAfterTokensClosesTheConnectionWithoutDone() throws Exception {
        ollama.setTokenCount(5);
        ollama.setDropAfterTokens(2);
        // JDK HttpClient quirk: once the connection fails, body bytes it received but the reader has not consumed
        // yet are discarded ("IOException: closed"), so a drop right after the last line can overtake it. The
        // default drop grace (50 ms) avoids that; with zero grace fewer lines may be seen.
        for (Duration grace : List.of(Duration.ZERO, StandInOllama.DEFAULT_DROP_GRACE)) {
            ollama.setDropGrace(grace);
            HttpResponse<InputStream> r = http.send(chatRequest(HI), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(r.statusCode()).isEqualTo(200);
            BufferedReader reader = new BufferedReader(new InputStreamReader(r.body(), UTF_8));
            List<String> seen = new ArrayList<>();
            assertThatThrownBy(() -> {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    seen.add(line);
                }
            }).isInstanceOf(IOException.class); // EOF inside the chunked body
            assertThat(seen).hasSizeLessThanOrEqualTo(2).allSatisfy(l -> assertThat(l).contains("\"done\":false"));
            if (!grace.isZero()) {
                assertThat(seen).hasSize(2);
            }
            assertThat(ollama.lastChat().state()).isEqualTo(RecordedRequest.State.FAILED);
            assertThat(ollama.lastChat().failure()).startsWith("dropped");
            assertThat(ollama.lastChat().tokensSent()).isEqualTo(2);
        }

        RawResponse raw = RawResponse.exchange(ollama.port(), post("/api/chat", HI, false));
        assertThat(raw.chunks).hasSize(2);
        assertThat(raw.terminated).isFalse();

        ollama.setDropAfterTokens(0); // before the status line
        assertThatThrownBy(() -> send("POST", "/api/chat", HI)).isInstanceOf(IOException.class);
    }

    @Test
    void firstByteDelayHoldsBackTheStatusLine() throws Exception {
        ollama.setFirstByteDelay(Duration.ofMillis(300));
        long t0 = System.nanoTime();
        HttpResponse<InputStream> r = http.send(chatRequest(HI), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        r.body().readAllBytes();

        try (Socket s = new Socket("127.0.0.1", ollama.port())) {
            s.getOutputStream().write(post("/api/chat", HI, true).getBytes(UTF_8));
            s.setSoTimeout(200);
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            s.setSoTimeout(2000);
            String all = new String(s.getInputStream().readAllBytes(), UTF_8);
            assertThat(all).startsWith("HTTP/1.1 200 OK\r\n");
        }
        // a header timeout on the client fires while waiting
        HttpRequest timed = HttpRequest.newBuilder(ollama.uri("/api/chat")).timeout(Duration.ofMillis(100))
                .POST(HttpRequest.BodyPublishers.ofString(HI)).build();
        assertThatThrownBy(() -> http.send(timed, HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(HttpTimeoutException.class);
        assertThat(ollama.awaitCancelled(Duration.ofSeconds(1))).isTrue();
    }

    @Test
    void hangIsCancelledWhenTheClientGivesUp() throws Exception {
        ollama.setHang(true);
        CompletableFuture<HttpResponse<InputStream>> f =
                http.sendAsync(chatRequest(HI), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(ollama.awaitInFlight(1, Duration.ofSeconds(2))).isTrue();
        Thread.sleep(100);
        assertThat(f).isNotDone();
        Instant cancelAt = Instant.now();
        f.cancel(true); // JDK HttpClient closes the connection
        assertThat(ollama.awaitCancelled(Duration.ofSeconds(1))).isTrue();
        RecordedRequest r = ollama.lastChat();
        assertThat(r.status()).isZero();
        assertThat(Duration.between(cancelAt, r.cancelledAt())).isLessThan(Duration.ofMillis(500));
        assertThat(ollama.cancelledCount()).isEqualTo(1);
        assertThat(ollama.awaitInFlight(0, Duration.ofSeconds(1))).isTrue();

        // raw client that just closes its socket
        try (Socket s = new Socket("127.0.0.1", ollama.port())) {
            s.getOutputStream().write(post("/api/chat", HI, false).getBytes(UTF_8));
            assertThat(ollama.awaitChatRequests(2, Duration.ofSeconds(1))).isTrue();
        }
        assertThat(ollama.awaitCancelled(Duration.ofSeconds(1))).isTrue();
        assertThat(ollama.cancelledCount()).isEqualTo(2);
    }

    @Test
    void setHangFalseReleasesWaitingRequests() throws Exception {
        ollama.setHang(true);
        CompletableFuture<HttpResponse<String>> f =
                http.sendAsync(chatRequest(HI), HttpResponse.BodyHandlers.ofString());
        assertThat(ollama.awaitInFlight(1, Duration.ofSeconds(2))).isTrue();
        ollama.setHang(false);
        assertThat(f.get().body()).contains("\"done\":true");

        // reset() also releases hanging requests, and forgets them in inFlight()/records
        ollama.setHang(true);
        ollama.setTokenCount(50);
        ollama.setTokenDelay(Duration.ofMillis(10));
        CompletableFuture<HttpResponse<String>> leftover =
                http.sendAsync(chatRequest(HI), HttpResponse.BodyHandlers.ofString());
        assertThat(ollama.awaitInFlight(1, Duration.ofSeconds(2))).isTrue();
        ollama.reset();
        assertThat(ollama.inFlight()).isZero();
        assertThat(ollama.chatRequests()).isEmpty();
        // the reply settings are read when the reply starts, i.e. after the hang: reset() restored the echo reply
        assertThat(leftover.get().body()).contains("\"Hello\"").contains("\"done\":true");
        assertThat(ollama.inFlightTotal()).isZero(); // finish() runs before the last bytes are flushed
        assertThat(ollama.cancelledCount()).isZero();
    }

    @Test
    void closingTheBodyMidStreamIsRecordedAsCancelled() throws Exception {
        ollama.setTokenCount(1000);
        ollama.setTokenDelay(Duration.ofMillis(10));
        HttpResponse<InputStream> r = http.send(chatRequest(HI), HttpResponse.BodyHandlers.ofInputStream());
        BufferedReader reader = new BufferedReader(new InputStreamReader(r.body(), UTF_8));
        for (int k = 0; k < 3; k++) {
            assertThat(reader.readLine()).contains("\"done\":false");
        }
        Instant closedAt = Instant.now();
        r.body().close(); // JDK HttpClient closes the HTTP/1.1 connection
        assertThat(ollama.awaitCancelled(Duration.ofSeconds(1))).isTrue();
        RecordedRequest rec = ollama.lastChat();
        assertThat(rec.status()).isEqualTo(200);
        assertThat(rec.tokensSent()).isBetween(3, 999);
        assertThat(Duration.between(closedAt, rec.cancelledAt())).isLessThan(Duration.ofMillis(500));

        // noticed promptly even during a long pause between tokens (input EOF watcher)
        ollama.setTokenDelay(Duration.ofSeconds(30));
        HttpResponse<InputStream> slow = http.send(chatRequest(HI), HttpResponse.BodyHandlers.ofInputStream());
        new BufferedReader(new InputStreamReader(slow.body(), UTF_8)).readLine();
        long t0 = System.nanoTime();
        slow.body().close();
        assertThat(ollama.awaitCancelled(Duration.ofSeconds(1))).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(500));
        assertThat(ollama.cancelledCount()).isEqualTo(2);
    }

    // ------------------------------------------------------------------------------------------------ lifecycle

    @Test
    void stopServerRefusesConnectionsAndStartServerComesBackOnTheSamePort() throws Exception {
        int port = ollama.port();
        assertThat(send("GET", "/", null).statusCode()).isEqualTo(200);

        ollama.setTokenCount(100);
        ollama.setTokenDelay(Duration.ofMillis(20));
        HttpResponse<InputStream> streaming = http.send(chatRequest(HI), HttpResponse.BodyHandlers.ofInputStream());
        BufferedReader reader = new BufferedReader(new InputStreamReader(streaming.body(), UTF_8));
        assertThat(reader.readLine()).contains("tok0");

        ollama.stopServer();
        assertThat(ollama.isRunning()).isFalse();
        assertThatThrownBy(() -> {
            while (reader.readLine() != null) {
                // drain what was already sent
            }
        }).isInstanceOf(IOException.class);
        assertThat(ollama.lastChat().state()).isEqualTo(RecordedRequest.State.FAILED);
        assertThat(ollama.inFlight()).isZero();
        assertThatThrownBy(() -> send("GET", "/", null)).isInstanceOf(ConnectException.class);
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);

        ollama.startServer();
        assertThat(ollama.port()).isEqualTo(port);
        assertThat(send("GET", "/", null).body()).isEqualTo("Ollama is running");
        ollama.setTokenDelay(Duration.ZERO);
        assertThat(send("POST", "/api/chat", HI).body()).contains("\"done\":true");
    }

    @Test
    void keepAliveReusesOneConnection() throws Exception {
        ollama.reset();
        send("GET", "/api/version", null);
        send("POST", "/api/chat", HI);
        send("POST", "/api/chat", chatBody("llama3.2", "x", false));
        send("POST", "/api/chat", "");
        send("GET", "/api/tags", null);
        send("GET", "/nope", null);
        assertThat(ollama.connectionCount()).isEqualTo(1);
    }

    @Test
    void rawKeepAliveWithChunkedRequestBody() throws Exception {
        try (Socket s = new Socket("127.0.0.1", ollama.port())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            byte[] body = chatBody("llama3.2", "chunked", false).getBytes(UTF_8);
            int half = body.length / 2;
            ByteArrayOutputStream req = new ByteArrayOutputStream();
            req.write(("POST /api/chat HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n").getBytes(UTF_8));
            req.write((Integer.toHexString(half) + "\r\n").getBytes(UTF_8));
            req.write(body, 0, half);
            req.write(("\r\n" + Integer.toHexString(body.length - half) + ";ext=1\r\n").getBytes(UTF_8));
            req.write(body, half, body.length - half);
            req.write("\r\n0\r\n\r\n".getBytes(UTF_8));
            out.write(req.toByteArray());
            RawResponse first = RawResponse.read(in);
            assertThat(first.statusLine).isEqualTo("HTTP/1.1 200 OK");
            assertThat(first.headerNames()).containsExactly("Content-Type", "Date", "Content-Length");
            assertThat(first.body).contains("Hello! You said: chunked");
            assertThat(ollama.lastChat().body()).isEqualTo(new String(body, UTF_8));

            out.write("GET /api/version HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(UTF_8));
            assertThat(RawResponse.read(in).body).isEqualTo("{\"version\":\"0.33.0\"}");
            out.write(post("/api/chat", HI, false).getBytes(UTF_8));
            RawResponse streamed = RawResponse.read(in);
            assertThat(streamed.chunks).hasSize(8);
            assertThat(streamed.terminated).isTrue();
            out.write("HEAD /api/tags HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(UTF_8));
            String rest = new String(in.readAllBytes(), UTF_8);
            assertThat(rest).startsWith("HTTP/1.1 200 OK\r\n").contains("\r\nConnection: close\r\n").endsWith("\r\n\r\n");
        }
        assertThat(ollama.connectionCount()).isEqualTo(1);
        assertThat(RawResponse.exchange(ollama.port(), "garbage\r\n\r\n").statusLine)
                .isEqualTo("HTTP/1.1 400 Bad Request");
    }

    @Test
    void manyConcurrentStreams() throws Exception {
        ollama.setTokenCount(5);
        ollama.setTokenDelay(Duration.ofMillis(10));
        int n = 200;
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int k = 0; k < n; k++) {
                Socket s = new Socket("127.0.0.1", ollama.port());
                s.setSoTimeout(5000);
                s.getOutputStream().write(post("/api/chat", HI, true).getBytes(UTF_8));
                sockets.add(s);
            }
            for (Socket s : sockets) {
                String all = new String(s.getInputStream().readAllBytes(), UTF_8);
                assertThat(all).contains("\"done\":true").endsWith("0\r\n\r\n");
            }
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
        assertThat(ollama.chatRequests()).hasSize(n)
                .allSatisfy(r -> assertThat(r.state()).isEqualTo(RecordedRequest.State.COMPLETED));
        assertThat(ollama.awaitInFlight(0, Duration.ofSeconds(1))).isTrue();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private void assertError(String body, int status, String message) throws Exception {
        HttpResponse<String> r = send("POST", "/api/chat", body);
        assertThat(r.statusCode()).as(body).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type")).as(body).hasValue("application/json; charset=utf-8");
        assertThat(JSON.readTree(r.body()).get("error").asString()).as(body).isEqualTo(message);
        assertThat(JSON.readTree(r.body()).propertyNames()).containsExactly("error");
    }

    private static String chatBody(String model, String content, Boolean stream) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]"
                + (stream == null ? "" : ",\"stream\":" + stream) + "}";
    }

    private HttpRequest chatRequest(String body) {
        return HttpRequest.newBuilder(ollama.uri("/api/chat")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(ollama.uri(path));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<JsonNode> parseLines(String ndjson) {
        List<JsonNode> out = new ArrayList<>();
        for (String line : ndjson.split("\n")) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    private static List<String> contents(String ndjson) {
        List<String> out = new ArrayList<>();
        for (JsonNode line : parseLines(ndjson)) {
            if (!line.get("done").asBoolean()) {
                out.add(line.get("message").get("content").asString());
            }
        }
        return out;
    }

    private static String post(String path, String body, boolean close) {
        return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(UTF_8).length + "\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n" + body;
    }

    /** A response read byte by byte from a raw socket, with its chunks if chunked. */
    private static final class RawResponse {
        String statusLine;
        final Map<String, String> headers = new LinkedHashMap<>();
        String body = "";
        final List<String> chunks = new ArrayList<>();
        boolean terminated;

        List<String> headerNames() {
            return List.copyOf(headers.keySet());
        }

        String header(String name) {
            return headers.get(name);
        }

        static RawResponse exchange(int port, String request) throws IOException {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(5000);
                s.getOutputStream().write(request.getBytes(UTF_8));
                return read(s.getInputStream());
            }
        }

        static RawResponse read(InputStream in) throws IOException {
            RawResponse r = new RawResponse();
            r.statusLine = line(in);
            for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
                int colon = h.indexOf(':');
                r.headers.put(h.substring(0, colon), h.substring(colon + 2));
            }
            if ("chunked".equals(r.headers.get("Transfer-Encoding"))) {
                StringBuilder all = new StringBuilder();
                while (true) {
                    String size = line(in);
                    if (size == null) {
                        break; // dropped
                    }
                    int n = Integer.parseInt(size.split(";")[0], 16);
                    if (n == 0) {
                        line(in);
                        r.terminated = true;
                        break;
                    }
                    String chunk = new String(in.readNBytes(n), UTF_8);
                    r.chunks.add(chunk);
                    all.append(chunk);
                    line(in);
                }
                r.body = all.toString();
            } else if (r.headers.containsKey("Content-Length")) {
                r.body = new String(in.readNBytes(Integer.parseInt(r.headers.get("Content-Length"))), UTF_8);
            }
            return r;
        }

        private static String line(InputStream in) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    String s = b.toString(UTF_8);
                    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
                }
                b.write(c);
            }
            return b.size() == 0 ? null : b.toString(UTF_8);
        }
    }
}
