package dev.corral.chat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;

import tools.jackson.core.io.JsonStringEncoder;
import tools.jackson.databind.json.JsonMapper;

/**
 * The rest of an answer's event stream, relayed without a thread of its own: the request goes asynchronous, its
 * output switches to the Servlet API's non-blocking mode, and whoever has news writes it. The generation's thread
 * writes each delta as it appends it (a write that cannot go out at once is left to Tomcat, which calls back when
 * the client can take more); the generation service's periodic nudge writes keep-alives.
 *
 * <p>Why: a thread per open stream, parked between tokens, cost a wake-up and a trip through the virtual-thread
 * scheduler's queue per token, and its parked stack was heap that every young collection copied. A slow or stalled
 * client still never holds up the answer: nothing here ever waits for the client. It falls behind instead, and
 * gets the text it missed as one merged delta when it can take more.
 */
final class LiveEventStream implements WriteListener, AsyncListener, Generation.Listener {

    private static final byte[] DELTA_OPEN = "event: delta\ndata: {\"content\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DELTA_CLOSE = "\"}\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEEP_ALIVE = ": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII);

    private final Generation generation;
    private final AsyncContext async;
    private final ServletOutputStream out;
    private final JsonMapper json;
    private final ReentrantLock lock = new ReentrantLock();
    private int offset;
    private boolean keepAliveDue;
    private boolean flushDue;
    private boolean doneWritten;
    private boolean closed;

    private LiveEventStream(Generation generation, AsyncContext async, ServletOutputStream out, int offset,
                            JsonMapper json) {
        this.generation = generation;
        this.async = async;
        this.out = out;
        this.offset = offset;
        this.json = json;
    }

    /**
     * Continues the stream of {@code request} (whose events so far were written and flushed) with the answer from
     * {@code offset} on, until the answer is done or the client goes away. Returns at once. No timeout: the answer
     * decides when the stream ends, and a client that went away is noticed when a write fails.
     */
    static void follow(HttpServletRequest request, ServletOutputStream out, Generation generation, int offset,
                       JsonMapper json) {
        AsyncContext async = request.startAsync();
        async.setTimeout(0);
        LiveEventStream stream = new LiveEventStream(generation, async, out, offset, json);
        async.addListener(stream);
        // The container calls onWritePossible once now; registering with the generation also writes what is there.
        out.setWriteListener(stream);
        generation.addListener(stream);
    }

    @Override
    public void changed() {
        pump();
    }

    @Override
    public void keepAlive() {
        lock.lock();
        try {
            keepAliveDue = true;
        } finally {
            lock.unlock();
        }
        pump();
    }

    @Override
    public void onWritePossible() {
        pump();
    }

    @Override
    public void onError(Throwable failure) {
        close();
        complete();
    }

    @Override
    public void onComplete(AsyncEvent event) {
        close();
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        close();
    }

    @Override
    public void onError(AsyncEvent event) {
        close();
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // not restarted
    }

    /**
     * Writes whatever is due while the client can take it. Non-blocking writes only, called from the generation's
     * thread, the container's (when the client can take more) and the nudger's: one at a time, under the lock.
     * The client's readiness is asked only when something is due: each ask goes through several response wrappers
     * and Tomcat, and this runs for every token.
     */
    private void pump() {
        lock.lock();
        try {
            while (!closed) {
                if (flushDue || doneWritten) {
                    if (!out.isReady()) {
                        return; // onWritePossible comes back here
                    }
                    if (flushDue) {
                        // The end of an event may still be in the response buffer (Tomcat sends a large write in
                        // pieces and keeps the remainder there until a flush): send it before anything else.
                        flushDue = false;
                        out.flush();
                        continue;
                    }
                    // The last event has gone out in full: end the response.
                    close();
                    complete();
                    return;
                }
                if (!keepAliveDue && !generation.hasNewsSince(offset)) {
                    return;
                }
                if (!out.isReady()) {
                    return; // onWritePossible comes back here
                }
                Generation.Update update = generation.updateSince(offset);
                byte[] event;
                if (!update.text().isEmpty()) {
                    offset += update.text().length();
                    event = delta(update.text());
                } else if (update.finished() != null) {
                    event = ("event: done\ndata: " + json.writeValueAsString(Map.of("message", update.finished()))
                            + "\n\n").getBytes(StandardCharsets.UTF_8);
                    doneWritten = true;
                } else {
                    keepAliveDue = false;
                    event = KEEP_ALIVE;
                }
                write(event);
            }
        } catch (IOException | RuntimeException clientGone) {
            // The generation carries on regardless (this runs on its thread, among others); this stream is over.
            close();
            complete();
        } finally {
            lock.unlock();
        }
    }

    private void write(byte[] event) throws IOException {
        out.write(event);
        if (out.isReady()) {
            out.flush();
        } else {
            flushDue = true; // when the client can take more, onWritePossible comes back here
        }
    }

    /** {@code event: delta} with {@code {"content": text}}, without building a map and a serializer per token. */
    private static byte[] delta(String text) {
        byte[] quoted = JsonStringEncoder.getInstance().quoteAsUTF8(text);
        byte[] event = new byte[DELTA_OPEN.length + quoted.length + DELTA_CLOSE.length];
        System.arraycopy(DELTA_OPEN, 0, event, 0, DELTA_OPEN.length);
        System.arraycopy(quoted, 0, event, DELTA_OPEN.length, quoted.length);
        System.arraycopy(DELTA_CLOSE, 0, event, DELTA_OPEN.length + quoted.length, DELTA_CLOSE.length);
        return event;
    }

    private void complete() {
        try {
            async.complete();
        } catch (IllegalStateException alreadyCompleted) {
            // the container ended the request first (the client went away, or shutdown)
        }
    }

    private void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lock.unlock();
        }
        generation.removeListener(this);
    }
}
