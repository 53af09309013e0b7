package dev.corral.testsupport;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One {@code POST /api/chat} request as the {@link StandInOllama} saw it, plus what became of it. Thread-safe;
 * the state fields change while the response is being written.
 */
public final class RecordedRequest {

    /** What became of the request. */
    public enum State {
        /** Still being answered (waiting for the first byte, hanging or streaming). */
        IN_PROGRESS,
        /** The final {@code done:true} object was written (streamed or not, including {@code done_reason:"load"}). */
        COMPLETED,
        /** The client closed the connection before the response was complete. */
        CANCELLED,
        /**
         * The server ended it without a done object: an error status (400/404/503/500), a mid-stream error line,
         * a scripted drop, or {@link StandInOllama#stopServer()} while it was running.
         */
        FAILED
    }

    /** One entry of {@code messages}. */
    public record Message(String role, String content) {
    }

    private final String method;
    private final String path;
    private final Map<String, String> headers;
    private final String body;
    private final Object json;
    private final Instant receivedAt;
    private final long generation;
    private final ReentrantLock lock;
    private final Condition changed;

    volatile State state = State.IN_PROGRESS;
    volatile int status;
    volatile int tokensSent;
    volatile Instant cancelledAt;
    volatile Instant finishedAt;
    volatile String failure;

    RecordedRequest(String method, String path, Map<String, String> headers, String body, Object json,
                    Instant receivedAt, long generation, ReentrantLock lock, Condition changed) {
        this.method = method;
        this.path = path;
        this.headers = headers;
        this.body = body;
        this.json = json;
        this.receivedAt = receivedAt;
        this.generation = generation;
        this.lock = lock;
        this.changed = changed;
    }

    long generation() {
        return generation;
    }

    public String method() {
        return method;
    }

    /** The request path without the query string. */
    public String path() {
        return path;
    }

    /** A request header (case-insensitive name); several occurrences are joined with {@code ", "}. */
    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** All request headers, names lower-cased. */
    public Map<String, String> headers() {
        return headers;
    }

    /** The raw body (UTF-8 decoded; after de-chunking). */
    public String body() {
        return body;
    }

    /**
     * The parsed body: {@code Map<String,Object>} for a JSON object ({@code List}, {@code String}, {@code Long},
     * {@code Double}, {@code Boolean}, {@code null} inside); {@code null} if the body was empty, not JSON, or not
     * an object.
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> json() {
        return json instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
    }

    /** {@code model} as sent (not normalised), or {@code null}. */
    public String model() {
        Map<String, Object> m = json();
        return m != null && m.get("model") instanceof String s ? s : null;
    }

    /** {@code messages} as (role, content) pairs; empty if absent. */
    public List<Message> messages() {
        Map<String, Object> m = json();
        if (m == null || !(m.get("messages") instanceof List<?> list)) {
            return List.of();
        }
        List<Message> out = new ArrayList<>();
        for (Object o : list) {
            if (o instanceof Map<?, ?> msg) {
                out.add(new Message(msg.get("role") instanceof String r ? r : null,
                        msg.get("content") instanceof String c ? c : null));
            }
        }
        return Collections.unmodifiableList(out);
    }

    /** {@code options}; empty if absent. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> options() {
        Map<String, Object> m = json();
        return m != null && m.get("options") instanceof Map<?, ?> o ? (Map<String, Object>) o : Map.of();
    }

    /** {@code stream} as sent: {@code null} when absent or null (the server then streams). */
    public Boolean stream() {
        Map<String, Object> m = json();
        return m != null && m.get("stream") instanceof Boolean b ? b : null;
    }

    /** {@code keep_alive} as sent (a {@code Long}/{@code Double}/{@code String}), or {@code null}. */
    public Object keepAlive() {
        Map<String, Object> m = json();
        return m == null ? null : m.get("keep_alive");
    }

    public Instant receivedAt() {
        return receivedAt;
    }

    public State state() {
        return state;
    }

    /** The HTTP status written, 0 if no status line was written (hang, drop before headers, cancel). */
    public int status() {
        return status;
    }

    /** Content chunks written so far (for {@code stream:false}: tokens generated). */
    public int tokensSent() {
        return tokensSent;
    }

    /** When the server noticed that the client went away (input EOF or failed write); {@code null} otherwise. */
    public Instant cancelledAt() {
        return cancelledAt;
    }

    /** When the request reached a final state; {@code null} while in progress. */
    public Instant finishedAt() {
        return finishedAt;
    }

    /** For {@link State#FAILED}: a short reason ({@code "400 ..."}, {@code "error line"}, {@code "dropped"}, ...). */
    public String failure() {
        return failure;
    }

    public boolean isCancelled() {
        return state == State.CANCELLED;
    }

    /** Waits until the request is no longer {@link State#IN_PROGRESS}; returns the state (IN_PROGRESS on timeout). */
    public State awaitFinished(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (state == State.IN_PROGRESS) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                changed.await(left, TimeUnit.NANOSECONDS);
            }
            return state;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until at least {@code n} content chunks were written; false on timeout or if it ended earlier. */
    public boolean awaitTokens(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (tokensSent < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || state != State.IN_PROGRESS) {
                    return tokensSent >= n;
                }
                changed.await(Math.min(left, 20_000_000L), TimeUnit.NANOSECONDS);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "RecordedRequest[" + method + " " + path + ", state=" + state + ", status=" + status
                + ", tokensSent=" + tokensSent + (failure != null ? ", failure=" + failure : "") + ", body="
                + (body.length() > 200 ? body.substring(0, 200) + "..." : body) + "]";
    }
}
