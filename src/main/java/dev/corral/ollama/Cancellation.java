package dev.corral.ollama;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Lets another thread stop a chat request. Ollama has no cancel endpoint: closing the connection is the signal,
 * so cancelling aborts the pending exchange and closes the response body, which closes the connection.
 */
public final class Cancellation {

    private final CountDownLatch cancelled = new CountDownLatch(1);
    private volatile Future<?> pendingResponse;
    private volatile Closeable body;

    public void cancel() {
        cancelled.countDown();
        Future<?> pending = pendingResponse;
        if (pending != null) {
            pending.cancel(true);
        }
        closeBody();
    }

    public boolean isCancelled() {
        return cancelled.getCount() == 0;
    }

    /** Waits up to {@code timeout}; true if cancelled meanwhile (used for retry back-off). */
    boolean await(Duration timeout) {
        try {
            return cancelled.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    void attach(Future<?> pending) {
        this.pendingResponse = pending;
        if (isCancelled()) {
            pending.cancel(true);
        }
    }

    void attach(Closeable responseBody) {
        this.body = responseBody;
        if (isCancelled()) {
            closeBody();
        }
    }

    private void closeBody() {
        Closeable b = body;
        if (b != null) {
            try {
                b.close();
            } catch (IOException ignored) {
                // Closing is all we wanted.
            }
        }
    }
}
