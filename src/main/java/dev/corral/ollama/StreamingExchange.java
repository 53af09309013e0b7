package dev.corral.ollama;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One streamed HTTP/1.1 POST to Ollama on its own socket. The caller's thread connects, sends and reads the
 * response head (blocking); the body of a plain connection is then read by a {@link StreamReaders} thread while the
 * caller waits, a TLS connection's by the caller's thread.
 *
 * <p>Why not the JDK HttpClient (which the short calls still use): its asynchronous pipeline passes every chunk of
 * every open answer through a selector thread and executor tasks, then a queue, before anyone sees it. With a
 * thousand answers streaming, that pipeline was a fifth of Corral's CPU and a good part of the live heap per stream
 * (bench/README.md). Closing the socket, from any thread, ends the read at once: that is Ollama's cancel signal.
 *
 * <p>The response body is decoded as Ollama sends it (chunked, or with a Content-Length, or up to the end of the
 * connection), from whatever each read returned; a body cut short is an error, never a quiet end. One request per
 * connection ({@code Connection: close}): an answer holds its connection for its whole length anyway. Ollama is
 * reached directly: the JVM's HTTP proxy settings ({@code -Dhttp.proxyHost}), which the HttpClient would apply, are
 * not.
 */
final class StreamingExchange implements Closeable {

    private static final int MAX_HEAD_BYTES = 64 * 1024;
    private static final int BUFFER_BYTES = 2048;

    private final Socket socket;
    private final SocketChannel channel; // null for TLS, which is read by the caller's thread
    private InputStream in;
    private final byte[] buffer = new byte[BUFFER_BYTES];
    private final ByteBuffer readBuffer = ByteBuffer.wrap(buffer);
    private byte[] lineBuffer = new byte[512];
    private int lineLength;
    private int maxLineBytes;
    private LineHandler lineHandler;
    private int position;
    private int limit;
    private int status;
    private boolean chunked;
    private long remaining; // bytes left in the current chunk or in a Content-Length body; -1: until the end
    private long chunkSize;
    private int chunkDigits;
    private int chunkHeaderLength;
    private boolean inExtension;
    private boolean ended;
    private volatile StreamReaders.Reader reader;
    private SelectionKey key;
    private final CompletableFuture<Void> bodyRead = new CompletableFuture<>();

    private StreamingExchange(Socket socket, SocketChannel channel) {
        this.socket = socket;
        this.channel = channel;
    }

    /**
     * Opens a connection to {@code uri}'s host. The caller registers the result for cancellation, then calls
     * {@link #send}: a cancel that comes while connecting or sending closes this socket too.
     */
    static StreamingExchange open(URI uri) throws IOException {
        if ("https".equalsIgnoreCase(uri.getScheme())) {
            return new StreamingExchange(SSLSocketFactory.getDefault().createSocket(), null);
        }
        SocketChannel channel = SocketChannel.open();
        return new StreamingExchange(channel.socket(), channel);
    }

    /**
     * Connects (waiting at most {@code connectTimeout}), sends the request
     * and reads the status line and headers, however long they take: a cold model may load for minutes first.
     */
    void send(URI uri, String contentType, String accept, byte[] body, Duration connectTimeout) throws IOException {
        String host = uri.getHost(); // an IPv6 literal comes with its brackets, as the Host header wants it
        if (host == null) {
            throw new UnknownHostException("No host name in " + uri);
        }
        int port = uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
        int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, connectTimeout.toMillis()));
        socket.connect(new InetSocketAddress(host, port), timeoutMillis);
        socket.setTcpNoDelay(true);
        if (socket instanceof SSLSocket tls) {
            SSLParameters parameters = tls.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            if (!isIpLiteral(host)) {
                parameters.setServerNames(List.of(new SNIHostName(host)));
            }
            tls.setSSLParameters(parameters);
            // The handshake is part of connecting: it gets the connect timeout, the answer gets none.
            tls.setSoTimeout(timeoutMillis);
            tls.startHandshake();
            tls.setSoTimeout(0);
        }
        String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        String hostHeader = host + (uri.getPort() == -1 ? "" : ":" + uri.getPort());
        String head = "POST " + path + " HTTP/1.1\r\n"
                + "Host: " + hostHeader + "\r\n"
                + "Content-Type: " + contentType + "\r\n"
                + "Accept: " + accept + "\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "Connection: close\r\n"
                + "User-Agent: Corral\r\n\r\n";
        OutputStream out = socket.getOutputStream();
        byte[] headBytes = head.getBytes(StandardCharsets.ISO_8859_1);
        byte[] request = new byte[headBytes.length + body.length];
        System.arraycopy(headBytes, 0, request, 0, headBytes.length);
        System.arraycopy(body, 0, request, headBytes.length, body.length);
        out.write(request);
        out.flush();
        in = socket.getInputStream();
        readHead();
    }

    private static boolean isIpLiteral(String host) {
        return host.startsWith("[") || host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }

    private void readHead() throws IOException {
        int[] headBytes = {0};
        while (true) {
            String statusLine = headLine(headBytes);
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("Not an HTTP/1.x response");
            }
            try {
                status = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IOException("Not an HTTP status code");
            }
            chunked = false;
            long length = -1;
            String line;
            while (!(line = headLine(headBytes)).isEmpty()) {
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    continue;
                }
                String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = line.substring(colon + 1).trim();
                if (name.equals("transfer-encoding")) {
                    chunked = value.toLowerCase(Locale.ROOT).endsWith("chunked");
                } else if (name.equals("content-length")) {
                    try {
                        length = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        throw new IOException("Bad Content-Length");
                    }
                    if (length < 0) {
                        throw new IOException("Bad Content-Length");
                    }
                }
            }
            if (status >= 100 && status < 200) {
                continue; // an interim response (100 Continue): the real one follows
            }
            remaining = chunked ? 0 : length;
            if (!chunked && length == 0) {
                ended = true;
            }
            return;
        }
    }

    int status() {
        return status;
    }

    /** Takes the text of one line of the body (without its line end); true when no more lines are wanted. */
    interface LineHandler {
        boolean line(byte[] bytes, int length) throws IOException;
    }

    /** Takes decoded body bytes; true when no more are wanted. */
    private interface BodySink {
        boolean body(byte[] bytes, int offset, int length) throws IOException;
    }

    /**
     * Reads the body line by line into {@code handler} until it wants no more or the body ends; returns then.
     * Each line's bytes are overwritten by the next: a line is parsed where it lies, not copied per token. A line
     * longer than {@code maxLineBytes} is an error: Ollama's lines are a few hundred bytes. With {@code readers}
     * and a plain connection, the lines are read and handed over on a reader thread while the caller waits.
     */
    void readLines(LineHandler handler, int maxLineBytes, StreamReaders readers) throws IOException {
        this.lineHandler = handler;
        this.maxLineBytes = maxLineBytes;
        // What came with the response head is the start of the body.
        int buffered = limit - position;
        position = limit;
        if (decodeLines(buffer, limit - buffered, buffered)) {
            return;
        }
        if (channel == null || readers == null) {
            while (true) {
                int n = in.read(buffer, 0, buffer.length);
                if (n < 0) {
                    endOfBody();
                    return;
                }
                if (decodeLines(buffer, 0, n)) {
                    return;
                }
            }
        }
        channel.configureBlocking(false);
        StreamReaders.Reader r = readers.next();
        reader = r;
        r.add(this);
        awaitBody();
    }

    private void awaitBody() throws IOException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    bodyRead.get();
                    return;
                } catch (InterruptedException e) {
                    interrupted = true; // the reader thread or a close ends the wait, never an interrupt
                } catch (ExecutionException e) {
                    switch (e.getCause()) {
                        case IOException io -> throw io;
                        case RuntimeException re -> throw re;
                        case Error error -> throw error;
                        default -> throw new IOException(e.getCause());
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** On the reader thread: takes this connection into {@code selector}. */
    void register(Selector selector) {
        try {
            key = channel.register(selector, SelectionKey.OP_READ, this);
        } catch (IOException | RuntimeException e) { // closed meanwhile
            finishBody(e);
        }
    }

    /** On the reader thread, when the connection has bytes or its end: one read, then back to the others. */
    void readable() {
        try {
            readBuffer.clear();
            int n = channel.read(readBuffer);
            if (n < 0) {
                endOfBody();
                finishBody(null);
            } else if (n > 0 && decodeLines(buffer, 0, n)) {
                finishBody(null);
            }
        } catch (Throwable e) { // the caller gets it
            finishBody(e);
        }
    }

    /** On the reader thread: the body is read (failure null) or failed; the waiting caller carries on. */
    void finishBody(Throwable failure) {
        if (key != null) {
            key.cancel();
        }
        if (failure == null) {
            bodyRead.complete(null);
        } else {
            bodyRead.completeExceptionally(failure);
        }
    }

    /** Decodes into lines; true when the handler wants no more lines or the body has ended. */
    private boolean decodeLines(byte[] bytes, int offset, int length) throws IOException {
        if (decode(bytes, offset, length, this::lines)) {
            return true;
        }
        if (ended) {
            endOfBody();
            return true;
        }
        return false;
    }

    /** Up to {@code max} bytes of the body, for an error message; what is missing after an early end is dropped. */
    byte[] readAtMost(int max) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BodySink collect = (bytes, offset, length) -> {
            out.write(bytes, offset, Math.min(length, max - out.size()));
            return out.size() >= max;
        };
        try {
            int buffered = limit - position;
            position = limit;
            if (decode(buffer, limit - buffered, buffered, collect)) {
                return out.toByteArray();
            }
            int n;
            while (!ended && (n = in.read(buffer, 0, buffer.length)) >= 0) {
                if (decode(buffer, 0, n, collect)) {
                    break;
                }
            }
        } catch (IOException e) {
            // What arrived is the message.
        }
        return out.toByteArray();
    }

    /**
     * Decodes {@code bytes[offset, offset + length)} of the response body (chunked, Content-Length or up to the
     * end of the connection) into {@code sink}; true when the sink wants no more. Works on whatever a read returned:
     * a chunk header or a line may be split across reads.
     */
    private boolean decode(byte[] bytes, int offset, int length, BodySink sink) throws IOException {
        int i = offset;
        int end = offset + length;
        while (i < end && !ended) {
            if (chunked && remaining == 0) {
                chunkHeaderByte(bytes[i++] & 0xff);
                continue;
            }
            int n = remaining > 0 ? (int) Math.min(remaining, end - i) : end - i;
            if (remaining > 0) {
                remaining -= n;
                if (remaining == 0 && !chunked) {
                    ended = true;
                }
            }
            int from = i;
            i += n;
            if (sink.body(bytes, from, n)) {
                return true;
            }
        }
        return false;
    }

    /** One byte of a chunk-size line (or of the line end after the previous chunk's data); extensions are ignored. */
    private void chunkHeaderByte(int b) throws IOException {
        if (++chunkHeaderLength > 1024) {
            throw new IOException("Chunk header too long");
        }
        if (b == '\n') {
            if (chunkDigits == 0 && !inExtension) {
                return; // the line end after the previous chunk's data
            }
            if (chunkDigits == 0) {
                throw new IOException("Bad chunk size");
            }
            if (chunkSize == 0) {
                ended = true; // trailers, if any, are not needed
            }
            remaining = chunkSize;
            chunkSize = 0;
            chunkDigits = 0;
            chunkHeaderLength = 0;
            inExtension = false;
            return;
        }
        if (b == '\r' || inExtension || b == ' ' || b == '\t') {
            return;
        }
        if (b == ';') {
            inExtension = true;
            return;
        }
        int digit = Character.digit(b, 16);
        if (digit < 0 || ++chunkDigits > 15) {
            throw new IOException("Bad chunk size");
        }
        chunkSize = chunkSize * 16 + digit;
    }

    /** The connection ended: fine after a complete body, an error inside one; a last line without a line end counts. */
    private void endOfBody() throws IOException {
        if (!ended && (chunked || remaining > 0)) {
            lineLength = 0;
            throw new EOFException("The connection closed inside the response body");
        }
        ended = true;
        if (lineLength > 0 && lineHandler != null) {
            int length = lineLength;
            lineLength = 0;
            lineHandler.line(lineBuffer, length);
        }
    }

    /** Splits body bytes into lines for the line handler. */
    private boolean lines(byte[] bytes, int offset, int length) throws IOException {
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            byte b = bytes[i];
            if (b == '\n') {
                int lineEnd = lineLength > 0 && lineBuffer[lineLength - 1] == '\r' ? lineLength - 1 : lineLength;
                lineLength = 0;
                if (lineHandler.line(lineBuffer, lineEnd)) {
                    return true;
                }
                continue;
            }
            if (lineLength == lineBuffer.length) {
                if (lineLength >= maxLineBytes) {
                    throw new IOException("Line longer than " + maxLineBytes + " bytes");
                }
                lineBuffer = Arrays.copyOf(lineBuffer, Math.min(maxLineBytes, lineLength * 2));
            }
            lineBuffer[lineLength++] = b;
        }
        return false;
    }

    private String headLine(int[] headBytes) throws IOException {
        StringBuilder line = new StringBuilder(64);
        int b;
        while ((b = rawByte()) != '\n') {
            if (b < 0) {
                throw new EOFException("The connection closed before the response head was complete");
            }
            if (++headBytes[0] > MAX_HEAD_BYTES) {
                throw new IOException("Response head too long");
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    private int rawByte() throws IOException {
        if (position == limit) {
            int n = in.read(buffer, 0, buffer.length);
            if (n <= 0) {
                return -1;
            }
            position = 0;
            limit = n;
        }
        return buffer[position++] & 0xff;
    }

    /**
     * Closes the connection, from any thread: a read blocked in another thread ends at once with an exception, and
     * a caller waiting for a reader thread is released (the reader thread ends the read, so that no line is handed
     * over after the caller has moved on). The reader's selector closes the socket itself on its next pass.
     */
    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Closing is all we wanted.
        }
        // Also after the body's end: the reader's selector releases the socket only on its next pass.
        StreamReaders.Reader r = reader;
        if (r != null) {
            r.closed(this);
        }
    }
}
