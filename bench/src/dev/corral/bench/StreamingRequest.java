package dev.corral.bench;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The load generator's streaming request: one HTTP/1.1 request on its own socket. The chat's virtual thread
 * connects, sends and reads the status line and headers (blocking); the body is then read by one of a few platform
 * threads, each waiting on a selector for all its sockets, and handed on line by line with the time it was read.
 * Used for both sides of the comparison (direct NDJSON and Corral's SSE), so neither is favoured.
 *
 * <p>Why not a blocking read per chat on its virtual thread: each token then cost the load generator a poller
 * wake-up, an unpark and a carrier wake-up. When the tokens came from another process (Corral) at scattered times,
 * the carriers parked and were woken by the kernel for nearly every token, and the load generator used 2 to 2.5
 * times the CPU of the direct phase (10.9 against 5.2 CPU-s at 1,000 chats, 100 ms/token), CPU taken from the
 * same two cores Corral runs on. Why not the JDK HttpClient: its asynchronous pipeline hands every chunk through
 * a selector thread and an executor task, about as costly per token as the relay being measured.
 */
final class StreamingRequest implements Closeable {

    /** Told each line of the body (without its line end) and when it was read; returns true to stop reading. */
    interface LineHandler {
        boolean line(String line, long readAtNanos);
    }

    private static final int MAX_HEADER_BYTES = 16 * 1024;
    private static final int MAX_LINE_BYTES = 1024 * 1024;
    private static final Readers READERS = new Readers(Math.max(1, Math.min(2,
            Runtime.getRuntime().availableProcessors())));

    private final SocketChannel channel;
    private final ByteBuffer buffer; // bytes read past the head stay here for the body
    final int status;
    private final boolean chunked;
    private final CompletableFuture<Void> bodyRead = new CompletableFuture<>();
    private LineHandler handler;

    // body decoding state (reader thread only)
    private long remaining; // bytes left in the current chunk, or of a Content-Length body (-1: until EOF)
    private int chunkState; // chunked: 0 size line, 1 data, 2 the CRLF after the data
    private final ByteArrayOutputStream sizeLine = new ByteArrayOutputStream(16);
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);

    private StreamingRequest(SocketChannel channel, ByteBuffer buffer, int status, boolean chunked, long length) {
        this.channel = channel;
        this.buffer = buffer;
        this.status = status;
        this.chunked = chunked;
        this.remaining = chunked ? 0 : length;
    }

    /** Sends {@code POST path} with {@code body} and reads the status line and headers. */
    static StreamingRequest post(URI base, String path, Map<String, String> headers, String body)
            throws IOException {
        SocketChannel channel = SocketChannel.open();
        try {
            channel.socket().setTcpNoDelay(true);
            channel.socket().connect(new InetSocketAddress(base.getHost(), base.getPort()), 10_000);
            byte[] payload = body.getBytes(StandardCharsets.UTF_8);
            StringBuilder head = new StringBuilder(256)
                    .append("POST ").append(path).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(base.getHost()).append(':').append(base.getPort()).append("\r\n")
                    .append("Content-Length: ").append(payload.length).append("\r\n")
                    .append("Connection: close\r\n");
            headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
            head.append("\r\n");
            byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
            ByteBuffer request = ByteBuffer.allocate(headBytes.length + payload.length).put(headBytes).put(payload)
                    .flip();
            while (request.hasRemaining()) {
                channel.write(request);
            }
            ByteBuffer in = ByteBuffer.allocate(4096).flip();
            String statusLine = headerLine(channel, in);
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP/1.x status line: " + statusLine);
            }
            int status = Integer.parseInt(parts[1]);
            boolean chunked = false;
            long length = -1;
            String line;
            while (!(line = headerLine(channel, in)).isEmpty()) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = line.substring(colon + 1).trim();
                if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
                    chunked = true;
                } else if (name.equals("content-length")) {
                    length = Long.parseLong(value);
                }
            }
            return new StreamingRequest(channel, in, status, chunked, length);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Reads the body on a reader thread, handing on each line, until the handler says stop or the body ends;
     * waits for that here. A close from another thread ends it with an exception.
     */
    void readLines(LineHandler handler) throws IOException, InterruptedException {
        this.handler = handler;
        channel.configureBlocking(false);
        READERS.next().add(this);
        try {
            bodyRead.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        }
    }

    /** Up to {@code max} bytes of the body as they come (for error messages; read before anything else). */
    String readAtMost(int max) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (out.size() < max) {
            if (!buffer.hasRemaining()) {
                buffer.clear();
                int n = channel.read(buffer);
                buffer.flip();
                if (n < 0) {
                    break;
                }
            }
            out.write(buffer.get());
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Closes the socket; a read in progress ends with an exception. */
    @Override
    public void close() throws IOException {
        channel.close();
        bodyRead.completeExceptionally(new ClosedChannelException());
    }

    /** On the reader thread: decodes what {@code buffer} holds; true when the body is over (or the handler said so). */
    private boolean decode(long now) throws IOException {
        while (buffer.hasRemaining()) {
            if (!chunked) {
                int take = remaining < 0 ? buffer.remaining() : (int) Math.min(remaining, buffer.remaining());
                if (body(take, now)) {
                    return true;
                }
                if (remaining > 0) {
                    remaining -= take;
                }
                if (remaining == 0) {
                    return true;
                }
            } else if (chunkState == 1) {
                int take = (int) Math.min(remaining, buffer.remaining());
                if (body(take, now)) {
                    return true;
                }
                remaining -= take;
                if (remaining == 0) {
                    chunkState = 2;
                }
            } else {
                byte b = buffer.get();
                if (b != '\n') {
                    if (chunkState == 0 && b != '\r') {
                        sizeLine.write(b);
                    }
                    continue;
                }
                if (chunkState == 2) {
                    chunkState = 0;
                    continue;
                }
                String size = sizeLine.toString(StandardCharsets.ISO_8859_1);
                sizeLine.reset();
                int semicolon = size.indexOf(';');
                remaining = Long.parseLong((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
                if (remaining == 0) {
                    return true; // the last chunk (trailers are not read)
                }
                chunkState = 1;
            }
        }
        return false;
    }

    /** Splits {@code n} body bytes from {@code buffer} into lines. */
    private boolean body(int n, long now) throws IOException {
        for (int k = 0; k < n; k++) {
            byte b = buffer.get();
            if (b != '\n') {
                if (line.size() >= MAX_LINE_BYTES) {
                    throw new IOException("response line too long");
                }
                line.write(b);
                continue;
            }
            String text = line.toString(StandardCharsets.UTF_8);
            line.reset();
            if (handler.line(text.endsWith("\r") ? text.substring(0, text.length() - 1) : text, now)) {
                buffer.position(buffer.position() + (n - k - 1)); // the rest is not needed
                return true;
            }
        }
        return false;
    }

    /** The body has ended: a last line without a line end counts, and a body cut short is an error. */
    private void ended() {
        if (chunked || remaining > 0) {
            bodyRead.completeExceptionally(new EOFException("connection closed inside the response body"));
            return;
        }
        if (line.size() > 0) {
            handler.line(line.toString(StandardCharsets.UTF_8), System.nanoTime());
        }
        bodyRead.complete(null);
    }

    private static String headerLine(SocketChannel channel, ByteBuffer in) throws IOException {
        StringBuilder sb = new StringBuilder(64);
        while (true) {
            if (!in.hasRemaining()) {
                in.clear();
                int n = channel.read(in);
                in.flip();
                if (n < 0) {
                    throw new EOFException("connection closed in the response head");
                }
            }
            byte b = in.get();
            if (b == '\n') {
                return sb.toString();
            }
            if (sb.length() > MAX_HEADER_BYTES) {
                throw new IOException("response header line too long");
            }
            if (b != '\r') {
                sb.append((char) (b & 0xff));
            }
        }
    }

    /** The platform threads that read every chat's body, each with its own selector. */
    private static final class Readers {
        private final Reader[] readers;
        private final AtomicInteger turn = new AtomicInteger();

        Readers(int count) {
            readers = new Reader[count];
            for (int k = 0; k < count; k++) {
                readers[k] = new Reader();
                Thread t = new Thread(readers[k], "bench-reader-" + k);
                t.setDaemon(true);
                t.start();
            }
        }

        Reader next() {
            return readers[Math.floorMod(turn.getAndIncrement(), readers.length)];
        }
    }

    private static final class Reader implements Runnable {
        private final Selector selector;
        private final Queue<StreamingRequest> added = new ConcurrentLinkedQueue<>();

        Reader() {
            try {
                selector = Selector.open();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void add(StreamingRequest request) {
            added.add(request);
            selector.wakeup();
        }

        @Override
        public void run() {
            while (true) {
                try {
                    selector.select(key -> readable((StreamingRequest) key.attachment(), key));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                StreamingRequest request;
                while ((request = added.poll()) != null) {
                    register(request);
                }
            }
        }

        private void register(StreamingRequest request) {
            try {
                // bytes read together with the head come first
                if (request.buffer.hasRemaining() && request.decode(System.nanoTime())) {
                    request.finish();
                    return;
                }
                request.channel.register(selector, SelectionKey.OP_READ, request);
            } catch (IOException | RuntimeException e) {
                request.bodyRead.completeExceptionally(e);
            }
        }

        private void readable(StreamingRequest request, SelectionKey key) {
            try {
                long now = System.nanoTime();
                request.buffer.clear();
                int n = request.channel.read(request.buffer);
                request.buffer.flip();
                if (n < 0) {
                    key.cancel();
                    request.ended();
                } else if (request.decode(now)) {
                    key.cancel();
                    request.finish();
                }
            } catch (IOException | RuntimeException e) {
                key.cancel();
                request.bodyRead.completeExceptionally(e);
            }
        }
    }

    private void finish() {
        bodyRead.complete(null);
    }
}
