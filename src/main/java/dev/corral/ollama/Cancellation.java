package dev.corral.ollama;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Lets another thread stop a chat request. Ollama has no cancel endpoint: closing the connection is the signal,
 * so cancelling closes the request's connection, which also ends a read blocked on it.
 */
public final class Cancellation {

    private final CountDownLatch cancelled = new CountDownLatch(1);
    private volatile Closeable connection;

    public void cancel() {
        cancelled.countDown();
        closeConnection();
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

    /** The connection a cancel closes; closed at once if the cancel came first. */
    void attach(Closeable connection) {
        this.connection = connection;
        if (isCancelled()) {
            closeConnection();
        }
    }

    private void closeConnection() {
        Closeable c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // Closing is all we wanted.
            }
        }
    }
}
