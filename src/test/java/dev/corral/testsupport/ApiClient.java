package dev.corral.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.HttpCookie;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A browser-like client of Corral's HTTP API for tests: keeps its own cookies (session and XSRF-TOKEN), sends the
 * CSRF header on state-changing requests, and reads server-sent event streams.
 */
public final class ApiClient {

    public static final JsonMapper JSON = JsonMapper.builder().build();

    public record Response(int status, JsonNode body, String raw, HttpResponse<String> http) {
        public String errorCode() {
            return body == null ? null : body.path("error").path("code").asString(null);
        }

        public String header(String name) {
            return http.headers().firstValue(name).orElse(null);
        }
    }

    public record Event(String name, JsonNode data) {
    }

    private final URI base;
    private final CookieManager cookies = new CookieManager(null, CookiePolicy.ACCEPT_ALL);
    private final HttpClient http;
    private boolean sendCsrf = true;
    private final Map<String, String> extraHeaders = new java.util.LinkedHashMap<>();

    public ApiClient(String baseUrl) {
        this(baseUrl, null);
    }

    /** A client whose connections come from {@code localAddress} (e.g. 127.0.0.2, to play a proxy or a stranger). */
    public ApiClient(String baseUrl, java.net.InetAddress localAddress) {
        this.base = URI.create(baseUrl);
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).cookieHandler(cookies)
                .connectTimeout(Duration.ofSeconds(5));
        if (localAddress != null) {
            builder.localAddress(localAddress);
        }
        this.http = builder.build();
    }

    /** Sends this header on every request from now on (e.g. what a reverse proxy would add). */
    public ApiClient withHeader(String name, String value) {
        extraHeaders.put(name, value);
        return this;
    }

    public ApiClient withoutCsrf() {
        sendCsrf = false;
        return this;
    }

    public String baseUrl() {
        return base.toString();
    }

    public Response get(String path) {
        return send(request(path).GET().build());
    }

    public Response post(String path, Object body) {
        return send(withCsrf(request(path)).POST(publisher(body)).header("Content-Type", "application/json").build());
    }

    public Response postRaw(String path, String body, String contentType) {
        return send(withCsrf(request(path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", contentType).build());
    }

    public Response patch(String path, Object body) {
        return send(withCsrf(request(path)).method("PATCH", publisher(body)).header("Content-Type", "application/json")
                .build());
    }

    public Response delete(String path) {
        return send(withCsrf(request(path)).DELETE().build());
    }

    /** Signs in (fetching a CSRF token first, as the UI does) and returns the response. */
    public Response signIn(String username, String password) {
        ensureCsrfCookie();
        return post("/api/auth/login", Map.of("username", username, "password", password));
    }

    public void ensureCsrfCookie() {
        if (cookie("XSRF-TOKEN") == null) {
            get("/api/auth/csrf");
        }
    }

    public String cookie(String name) {
        return cookies.getCookieStore().getCookies().stream().filter(c -> c.getName().equals(name))
                .map(HttpCookie::getValue).findFirst().orElse(null);
    }

    public List<HttpCookie> cookies() {
        return cookies.getCookieStore().getCookies();
    }

    /** Opens an event stream: POST with a body, or GET when body is null. */
    public EventStream stream(String path, Object body) {
        HttpRequest.Builder builder = request(path).header("Accept", "text/event-stream");
        return open(body == null ? builder.GET().build()
                : withCsrf(builder).POST(publisher(body)).header("Content-Type", "application/json").build());
    }

    /** Opens an event stream with a POST that has no body. */
    public EventStream postStream(String path) {
        return open(withCsrf(request(path).header("Accept", "text/event-stream")).POST(publisher(null)).build());
    }

    private EventStream open(HttpRequest request) {
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            return new EventStream(response);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Sends a message and reads the whole event stream to its end. */
    public List<Event> chat(String conversationId, String content) {
        try (EventStream events = stream("/api/conversations/" + conversationId + "/messages",
                Map.of("content", content))) {
            return events.readAll(Duration.ofSeconds(30));
        }
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30));
        extraHeaders.forEach(builder::header);
        return builder;
    }

    private HttpRequest.Builder withCsrf(HttpRequest.Builder builder) {
        String token = cookie("XSRF-TOKEN");
        if (sendCsrf && token != null) {
            builder.header("X-XSRF-TOKEN", token);
        }
        return builder;
    }

    private static HttpRequest.BodyPublisher publisher(Object body) {
        if (body == null) {
            return HttpRequest.BodyPublishers.noBody();
        }
        String text = body instanceof String s ? s : JSON.writeValueAsString(body);
        return HttpRequest.BodyPublishers.ofString(text);
    }

    private Response send(HttpRequest request) {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode body = null;
            String contentType = response.headers().firstValue("Content-Type").orElse("");
            if (contentType.contains("json") && !response.body().isEmpty()) {
                body = JSON.readTree(response.body());
            }
            return new Response(response.statusCode(), body, response.body(), response);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Reads server-sent events on a background thread; {@link #close()} drops the connection like a closed tab. */
    public static final class EventStream implements AutoCloseable {
        private static final Event END = new Event("<end>", null);
        private final HttpResponse<InputStream> response;
        private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        private final AtomicInteger comments = new AtomicInteger();
        private volatile boolean closed;

        EventStream(HttpResponse<InputStream> response) {
            this.response = response;
            if (response.statusCode() == 200) {
                Thread.ofVirtual().start(this::read);
            } else {
                events.add(END);
            }
        }

        public int status() {
            return response.statusCode();
        }

        public String contentType() {
            return response.headers().firstValue("Content-Type").orElse("");
        }

        public String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }

        /** The error body of a stream that was refused before it started. */
        public JsonNode errorBody() {
            try (InputStream in = response.body()) {
                return JSON.readTree(in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void read() {
            try (BufferedReader reader = new BufferedReader(
                    new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String name = null;
                StringBuilder data = new StringBuilder();
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.isEmpty()) {
                        if (name != null) {
                            events.add(new Event(name, JSON.readTree(data.toString())));
                        }
                        name = null;
                        data.setLength(0);
                    } else if (line.startsWith("event: ")) {
                        name = line.substring(7);
                    } else if (line.startsWith("data: ")) {
                        data.append(line.substring(6));
                    } else if (line.startsWith(":")) {
                        comments.incrementAndGet();
                    }
                }
            } catch (IOException e) {
                // Closed by us or by the server.
            } finally {
                events.add(END);
            }
        }

        /** Comment lines (keep-alives) read so far. */
        public int comments() {
            return comments.get();
        }

        /** The next event, or null when the stream ended or nothing came within the timeout. */
        public Event next(Duration timeout) {
            try {
                Event event = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (event == END) {
                    events.add(END);
                    return null;
                }
                return event;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }

        /** Reads until the named event arrives (returned) or the stream ends / times out (null). */
        public Event until(String name, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            Event event;
            while ((event = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) != null) {
                if (event.name().equals(name)) {
                    return event;
                }
            }
            return null;
        }

        public List<Event> readAll(Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            List<Event> all = new ArrayList<>();
            Event event;
            while ((event = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) != null) {
                all.add(event);
            }
            return all;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                try {
                    response.body().close();
                } catch (IOException ignored) {
                    // Dropping the connection is the point.
                }
            }
        }
    }
}
