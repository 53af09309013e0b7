package dev.corral.ollama;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Selector;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A few platform threads (one per CPU, at most four) that read every streamed answer from Ollama: each waits on
 * a selector for whichever of its connections has bytes, reads them, and hands each complete NDJSON line to the
 * answer's line handler (which relays the token to the browser) on the spot.
 *
 * <p>Why not a virtual thread per answer blocked in a socket read: each token then cost a wake-up through the
 * virtual-thread poller, a trip through the scheduler's queue and a re-arm of the socket's poll registration, and
 * waited in that queue behind any other runnable work, such as a burst of chat starts. One thread per CPU reading
 * whatever is ready takes the tokens of many answers per wake-up, and, being a platform thread that sleeps between
 * tokens, is scheduled by the operating system ahead of threads that have been busy.
 */
final class StreamReaders implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StreamReaders.class);

    private final Reader[] readers;
    private final AtomicInteger next = new AtomicInteger();

    StreamReaders() {
        int count = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        readers = new Reader[count];
        for (int k = 0; k < count; k++) {
            readers[k] = new Reader(k + 1);
        }
    }

    /** The reader thread that will read an exchange's body (its line handler runs there), in turn. */
    Reader next() {
        return readers[Math.floorMod(next.getAndIncrement(), readers.length)];
    }

    @Override
    public void close() {
        for (Reader reader : readers) {
            reader.stop();
        }
    }

    static final class Reader implements Runnable {

        private final Selector selector;
        private final Queue<StreamingExchange> incoming = new ConcurrentLinkedQueue<>();
        private final Queue<StreamingExchange> closing = new ConcurrentLinkedQueue<>();
        private volatile boolean stopping;

        Reader(int number) {
            try {
                selector = Selector.open();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread.ofPlatform().name("ollama-reader-" + number).daemon().start(this);
        }

        /** Reads the rest of {@code exchange}'s body on this reader's thread. */
        void add(StreamingExchange exchange) {
            incoming.add(exchange);
            selector.wakeup();
            if (stopping && incoming.remove(exchange)) {
                exchange.finishBody(new IOException("Corral stopped reading from Ollama"));
            }
        }

        /** {@code exchange} was closed by another thread: end its read here and release the waiting caller. */
        void closed(StreamingExchange exchange) {
            closing.add(exchange);
            selector.wakeup();
        }

        void stop() {
            stopping = true;
            selector.wakeup();
        }

        @Override
        public void run() {
            try {
                while (!stopping) {
                    selector.select(key -> ((StreamingExchange) key.attachment()).readable());
                    StreamingExchange exchange;
                    while ((exchange = incoming.poll()) != null) {
                        exchange.register(selector);
                    }
                    while ((exchange = closing.poll()) != null) {
                        exchange.finishBody(new IOException("The connection to Ollama was closed"));
                    }
                }
            } catch (IOException | RuntimeException e) {
                log.error("An Ollama reader thread failed; its answers end as failed", e);
            } finally {
                // Nobody waits forever: what is still being read ends as failed (after a stop, nothing should be).
                IOException gone = new IOException("Corral stopped reading from Ollama");
                for (var key : selector.keys()) {
                    ((StreamingExchange) key.attachment()).finishBody(gone);
                }
                StreamingExchange exchange;
                while ((exchange = incoming.poll()) != null) {
                    exchange.finishBody(gone);
                }
                try {
                    selector.close();
                } catch (IOException ignored) {
                    // nothing left to release
                }
            }
        }
    }
}
