package dev.corral.ollama;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import jakarta.annotation.PreDestroy;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.corral.config.CorralProperties;
import dev.corral.web.ErrorCode;

/**
 * Ollama's REST API over HTTP/1.1 (the JDK HttpClient for short calls, {@link StreamingExchange} for streamed
 * answers), following ../shared/reference/ollama-api.md: NDJSON read line by line, {@code {"error"}} lines
 * mid-stream, the final {@code done} chunk, no time limit before the first byte (a cold model may load for minutes),
 * cancellation by closing the connection, 503 retried with back-off.
 */
@Component
public class OllamaClient {

    private static final Logger log = LoggerFactory.getLogger(OllamaClient.class);
    private static final int MAX_ERROR_BODY_BYTES = 64 * 1024;
    /** Ollama's NDJSON lines are a few hundred bytes; a longer one is not worth holding in memory. */
    private static final int MAX_LINE_BYTES = 4 * 1024 * 1024;

    public record ChatMessage(String role, String content) {
    }

    public record ChatRequest(String model, List<ChatMessage> messages, Double temperature) {
    }

    /** Ollama's final statistics (durations in nanoseconds); fields Ollama omitted are null. */
    public record ChatResult(String doneReason, Long promptEvalCount, Long evalCount, Long totalDuration,
                             Long loadDuration, Long promptEvalDuration, Long evalDuration) {
    }

    public record ModelInfo(String name, long size, String family, String parameterSize, String quantization,
                            String modifiedAt) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record WireChatRequest(String model, List<ChatMessage> messages, boolean stream, WireOptions options) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record WireOptions(Double temperature) {
    }

    /**
     * One NDJSON line of a streamed answer: only the fields Corral uses are kept, the rest are skipped without being
     * built (this runs for every token of every answer). Usual lines are read by {@code readUsualChunk}; the binder
     * takes the rest.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record WireChunk(WireMessage message, Boolean done, JsonNode error,
                     @JsonProperty("done_reason") String doneReason,
                     @JsonProperty("prompt_eval_count") Long promptEvalCount,
                     @JsonProperty("eval_count") Long evalCount,
                     @JsonProperty("total_duration") Long totalDuration,
                     @JsonProperty("load_duration") Long loadDuration,
                     @JsonProperty("prompt_eval_duration") Long promptEvalDuration,
                     @JsonProperty("eval_duration") Long evalDuration) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record WireMessage(String content) {
    }

    /** WireChunk's statistics, in the order of its components. */
    private static final List<String> STAT_FIELDS = List.of("prompt_eval_count", "eval_count", "total_duration",
            "load_duration", "prompt_eval_duration", "eval_duration");

    private final CorralProperties.Ollama settings;
    private final JsonMapper json;
    private final HttpClient http;
    private final MeterRegistry meters;
    private final StreamReaders readers = new StreamReaders();

    OllamaClient(CorralProperties properties, JsonMapper json, MeterRegistry meters) {
        this.settings = properties.ollama();
        this.json = json;
        this.meters = meters;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
    }

    @PreDestroy
    void stopReaders() {
        readers.close();
    }

    public URI baseUrl() {
        return settings.baseUrl();
    }

    public List<ModelInfo> listModels() {
        HttpRequest request = HttpRequest.newBuilder(endpoint("/api/tags"))
                .timeout(settings.requestTimeout())
                .header("Accept", "application/json")
                .GET().build();
        HttpResponse<byte[]> response;
        long started = System.nanoTime();
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            recordLatency("/api/tags", "unreachable", started);
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unreachable(e);
        }
        recordLatency("/api/tags", String.valueOf(response.statusCode()), started);
        if (response.statusCode() != 200) {
            throw new OllamaException(ErrorCode.OLLAMA_ERROR,
                    "Ollama answered " + response.statusCode() + " to the model list: " + errorText(response.body()));
        }
        List<ModelInfo> models = new ArrayList<>();
        try {
            for (JsonNode m : json.readTree(response.body()).path("models")) {
                JsonNode details = m.path("details");
                models.add(new ModelInfo(m.path("name").asString(), m.path("size").asLong(),
                        textOrNull(details, "family"), textOrNull(details, "parameter_size"),
                        textOrNull(details, "quantization_level"), textOrNull(m, "modified_at")));
            }
        } catch (JacksonException e) {
            throw new OllamaException(ErrorCode.OLLAMA_ERROR, "Ollama's model list is not valid JSON.");
        }
        return models;
    }

    /**
     * Ollama's version ({@code GET /api/version}), waiting at most {@code timeout}: a cheap call that tells whether
     * Ollama is up. Throws {@link OllamaException} when Ollama is unreachable or answers with an error.
     */
    public String version(Duration timeout) {
        HttpRequest request = HttpRequest.newBuilder(endpoint("/api/version"))
                .timeout(timeout)
                .header("Accept", "application/json")
                .GET().build();
        HttpResponse<byte[]> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unreachable(e);
        }
        if (response.statusCode() != 200) {
            throw new OllamaException(ErrorCode.OLLAMA_ERROR,
                    "Ollama answered " + response.statusCode() + " to /api/version: " + errorText(response.body()));
        }
        try {
            String version = textOrNull(json.readTree(response.body()), "version");
            if (version == null) {
                throw new OllamaException(ErrorCode.OLLAMA_ERROR, "Ollama's /api/version has no version.");
            }
            return version;
        } catch (JacksonException e) {
            throw new OllamaException(ErrorCode.OLLAMA_ERROR, "Ollama's /api/version is not valid JSON.");
        }
    }

    /**
     * Streams a chat answer: {@code onContent} receives each piece of text as it arrives; returns the final
     * statistics. Throws {@link OllamaException} on failure and {@link CancellationException} when cancelled.
     * Runs on the caller's (virtual) thread, which waits while a reader thread hands each line over: {@code onContent}
     * is called on that reader thread and must not block.
     */
    public ChatResult chat(ChatRequest chat, Consumer<String> onContent, Cancellation cancellation) {
        byte[] body = json.writeValueAsBytes(new WireChatRequest(chat.model(), chat.messages(), true,
                chat.temperature() == null ? null : new WireOptions(chat.temperature())));
        URI uri = endpoint("/api/chat");
        Duration backoff = settings.busyBackoff();
        for (int attempt = 0; ; attempt++) {
            try (StreamingExchange exchange = send(uri, body, cancellation)) {
                int status = exchange.status();
                if (status == 200) {
                    return readStream(exchange, onContent, cancellation);
                }
                String message = errorText(exchange.readAtMost(MAX_ERROR_BODY_BYTES));
                if (status == 503 && attempt < settings.busyRetries()) {
                    log.info("Ollama is busy ({}); retrying in {} ms", message, backoff.toMillis());
                    exchange.close();
                    if (cancellation.await(backoff)) {
                        throw new CancellationException();
                    }
                    backoff = backoff.multipliedBy(2);
                    continue;
                }
                throw switch (status) {
                    case 503 -> new OllamaException(ErrorCode.OLLAMA_BUSY,
                            "Ollama is busy and did not accept the request after " + (attempt + 1) + " tries: "
                                    + message);
                    case 404 -> new OllamaException(ErrorCode.MODEL_NOT_FOUND,
                            "Ollama does not have the model '" + chat.model() + "': " + message);
                    default -> new OllamaException(ErrorCode.OLLAMA_ERROR,
                            "Ollama answered " + status + ": " + message);
                };
            }
        }
    }

    /** Connects, sends the request and reads the response head; a cancel meanwhile closes the connection. */
    private StreamingExchange send(URI uri, byte[] body, Cancellation cancellation) {
        if (cancellation.isCancelled()) {
            throw new CancellationException();
        }
        long started = System.nanoTime();
        StreamingExchange exchange;
        try {
            exchange = StreamingExchange.open(uri);
        } catch (IOException e) {
            recordLatency("/api/chat", "unreachable", started);
            throw unreachable(e);
        }
        cancellation.attach(exchange);
        try {
            exchange.send(uri, "application/json", "application/x-ndjson", body, settings.connectTimeout());
        } catch (IOException | RuntimeException e) { // e.g. a host name TLS cannot use: the socket is closed too
            exchange.close();
            if (cancellation.isCancelled()) {
                throw new CancellationException();
            }
            recordLatency("/api/chat", "unreachable", started);
            throw unreachable(e);
        }
        // Time to the response headers: for a chat this is how long Ollama took to accept it (model loading
        // included); the answer's own duration is measured as time to first token and tokens per second.
        recordLatency("/api/chat", String.valueOf(exchange.status()), started);
        return exchange;
    }

    /** Ollama upstream latency by endpoint and HTTP status ("unreachable" when no answer came). */
    private void recordLatency(String endpoint, String status, long startedNanos) {
        Timer.builder("corral.ollama.latency")
                .description("Ollama upstream latency: time to response headers of /api/chat, whole /api/tags call")
                .tag("endpoint", endpoint)
                .tag("status", status)
                .publishPercentileHistogram()
                .maximumExpectedValue(Duration.ofMinutes(5))
                .register(meters)
                .record(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS);
    }

    private ChatResult readStream(StreamingExchange body, Consumer<String> onContent, Cancellation cancellation) {
        ChunkReader chunks = new ChunkReader(onContent);
        try {
            body.readLines(chunks, MAX_LINE_BYTES, readers);
        } catch (IOException | JacksonException e) {
            if (cancellation.isCancelled()) {
                throw new CancellationException();
            }
            if (e instanceof JacksonException) {
                throw new OllamaException(ErrorCode.OLLAMA_ERROR, "Ollama sent a line that is not JSON.");
            }
            throw new OllamaException(ErrorCode.OLLAMA_ERROR,
                    "The connection to Ollama broke before the answer was complete.");
        }
        if (chunks.result != null) {
            return chunks.result;
        }
        if (cancellation.isCancelled()) {
            throw new CancellationException();
        }
        throw new OllamaException(ErrorCode.OLLAMA_ERROR, "Ollama ended the answer without finishing it.");
    }

    /** Binds each NDJSON line of an answer and passes its text on, until the final chunk. */
    private final class ChunkReader implements StreamingExchange.LineHandler {

        private final Consumer<String> onContent;
        private ChatResult result;

        ChunkReader(Consumer<String> onContent) {
            this.onContent = onContent;
        }

        @Override
        public boolean line(byte[] bytes, int length) {
            if (isBlank(bytes, length)) {
                return false;
            }
            WireChunk chunk = readUsualChunk(bytes, length);
            if (chunk == null) { // anything unusual (an error line, another type): the binder decides, as before
                chunk = json.readValue(bytes, 0, length, WireChunk.class);
            }
            if (chunk.error() != null && !chunk.error().isNull()) {
                throw new OllamaException(ErrorCode.OLLAMA_ERROR,
                        "Ollama failed while answering: " + chunk.error().asString());
            }
            // The final chunk may carry text too, so every chunk's content is appended.
            String content = chunk.message() == null || chunk.message().content() == null ? ""
                    : chunk.message().content();
            if (!content.isEmpty()) {
                onContent.accept(content);
            }
            if (Boolean.TRUE.equals(chunk.done())) {
                result = new ChatResult(chunk.doneReason(), chunk.promptEvalCount(), chunk.evalCount(),
                        chunk.totalDuration(), chunk.loadDuration(), chunk.promptEvalDuration(), chunk.evalDuration());
                return true;
            }
            return false;
        }
    }

    /**
     * Reads a chunk of the usual shape with the streaming parser, or returns null when the line holds anything else
     * (an {@code error}, a field of an unexpected type, trailing content) for the binder to handle. Why: this runs
     * for every token of every answer, and binding a record called its constructor through a method handle spread
     * per line, about a tenth of the CPU of the threads that relay tokens.
     */
    private WireChunk readUsualChunk(byte[] bytes, int length) {
        String content = null;
        Boolean done = null;
        String doneReason = null;
        Long[] stats = new Long[6];
        try (JsonParser p = json.createParser(bytes, 0, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            JsonToken token;
            while ((token = p.nextToken()) == JsonToken.PROPERTY_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "message" -> {
                        if (value == JsonToken.START_OBJECT) {
                            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                                boolean isContent = p.currentName().equals("content");
                                JsonToken field = p.nextToken();
                                if (isContent && field == JsonToken.VALUE_STRING) {
                                    content = p.getString();
                                } else if (isContent && field != JsonToken.VALUE_NULL) {
                                    return null;
                                } else {
                                    p.skipChildren();
                                }
                            }
                        } else if (value != JsonToken.VALUE_NULL) {
                            return null;
                        }
                    }
                    case "done" -> {
                        if (value == JsonToken.VALUE_TRUE || value == JsonToken.VALUE_FALSE) {
                            done = value == JsonToken.VALUE_TRUE;
                        } else if (value != JsonToken.VALUE_NULL) {
                            return null;
                        }
                    }
                    case "error" -> {
                        if (value != JsonToken.VALUE_NULL) {
                            return null;
                        }
                    }
                    case "done_reason" -> {
                        if (value == JsonToken.VALUE_STRING) {
                            doneReason = p.getString();
                        } else if (value != JsonToken.VALUE_NULL) {
                            return null;
                        }
                    }
                    default -> {
                        int stat = STAT_FIELDS.indexOf(name);
                        if (stat >= 0 && value == JsonToken.VALUE_NUMBER_INT
                                && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
                            stats[stat] = p.getLongValue();
                        } else if (stat >= 0 && value != JsonToken.VALUE_NULL) {
                            return null;
                        } else {
                            p.skipChildren();
                        }
                    }
                }
            }
            if (token != JsonToken.END_OBJECT || p.nextToken() != null) {
                return null;
            }
        }
        return new WireChunk(content == null ? null : new WireMessage(content), done, null, doneReason,
                stats[0], stats[1], stats[2], stats[3], stats[4], stats[5]);
    }

    private OllamaException unreachable(Throwable cause) {
        String reason = cause instanceof HttpConnectTimeoutException || cause instanceof SocketTimeoutException
                ? "connection timed out"
                : cause instanceof HttpTimeoutException ? "no answer in time"
                : cause instanceof ConnectException ? "connection refused"
                : cause instanceof UnknownHostException ? "unknown host"
                : "connection failed";
        return new OllamaException(ErrorCode.OLLAMA_UNREACHABLE,
                "Cannot reach Ollama at " + settings.baseUrl() + " (" + reason + ").");
    }

    private URI endpoint(String path) {
        String base = settings.baseUrl().toString();
        return URI.create(base.endsWith("/") ? base.substring(0, base.length() - 1) + path : base + path);
    }

    /** Ollama's errors are {@code {"error":"…"}} when JSON, plain text otherwise (e.g. "404 page not found"). */
    private String errorText(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).strip();
        try {
            JsonNode error = json.readTree(text).get("error");
            if (error != null && error.isString()) {
                return error.asString();
            }
        } catch (JacksonException ignored) {
            // Not JSON: the text itself is the message.
        }
        return text.length() > 300 ? text.substring(0, 300) + "…" : text;
    }

    private static boolean isBlank(byte[] line, int length) {
        for (int k = 0; k < length; k++) {
            if (line[k] != ' ' && line[k] != '\t' && line[k] != '\r') {
                return false;
            }
        }
        return true;
    }

    private static String textOrNull(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asString();
    }
}
