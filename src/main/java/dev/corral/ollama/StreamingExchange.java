package dev.corral.ollama;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
 * One streamed HTTP/1.1 POST to Ollama on its own blocking socket, read by the generation's virtual thread.
 *
 * <p>Why not the JDK HttpClient (which the short calls still use): its asynchronous pipeline passes every chunk of
 * every open answer through a selector thread and executor tasks, then a queue, before the generation's thread sees
 * it. With a thousand answers streaming, that pipeline was a fifth of Corral's CPU and a good part of the live heap
 * per stream (bench/README.md). A virtual thread blocked in a socket read costs a parked stack and one wake-up per
 * chunk. Closing the socket, from any thread, ends a blocked read at once: that is Ollama's cancel signal.
 *
 * <p>The response body is decoded as Ollama sends it (chunked, or with a Content-Length, or up to the end of the
 * connection); a body cut short is an error, never a quiet end. One request per connection
 * ({@code Connection: close}): an answer holds its connection for its whole length anyway. Ollama is reached
 * directly: the JVM's HTTP proxy settings ({@code -Dhttp.proxyHost}), which the HttpClient would apply, are not.
 */
final class StreamingExchange implements Closeable {

    private static final int MAX_HEAD_BYTES = 64 * 1024;
    private static final int BUFFER_BYTES = 2048;

    private final Socket socket;
    private InputStream in;
    private final byte[] buffer = new byte[BUFFER_BYTES];
    private byte[] lineBuffer = new byte[512];
    private int lineLength;
    private int position;
    private int limit;
    private int status;
    private boolean chunked;
    private long remaining; // bytes left in the current chunk or in a Content-Length body; -1: until the end
    private boolean ended;

    private StreamingExchange(Socket socket) {
        this.socket = socket;
    }

    /**
     * Opens a connection to {@code uri}'s host. The caller registers the result for cancellation, then calls
     * {@link #send}: a cancel that comes while connecting or sending closes this socket too.
     */
    static StreamingExchange open(URI uri) throws IOException {
        Socket socket = "https".equalsIgnoreCase(uri.getScheme())
                ? SSLSocketFactory.getDefault().createSocket() : new Socket();
        return new StreamingExchange(socket);
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

    /**
     * Reads the next line of the body into {@link #line()} (without its line end); false at the end of the body.
     * The bytes are overwritten by the next call: a line is parsed where it lies, not copied per token. A line
     * longer than {@code maxBytes} is an error: Ollama's lines are a few hundred bytes.
     */
    boolean nextLine(int maxBytes) throws IOException {
        lineLength = 0;
        boolean any = false;
        int b;
        while ((b = bodyByte()) >= 0) {
            any = true;
            if (b == '\n') {
                break;
            }
            if (lineLength == lineBuffer.length) {
                if (lineLength >= maxBytes) {
                    throw new IOException("Line longer than " + maxBytes + " bytes");
                }
                lineBuffer = Arrays.copyOf(lineBuffer, Math.min(maxBytes, lineLength * 2));
            }
            lineBuffer[lineLength++] = (byte) b;
        }
        if (lineLength > 0 && lineBuffer[lineLength - 1] == '\r') {
            lineLength--;
        }
        return any;
    }

    /** The buffer holding the line {@link #nextLine} read, from offset 0. */
    byte[] line() {
        return lineBuffer;
    }

    int lineLength() {
        return lineLength;
    }

    /** Up to {@code max} bytes of the body, for an error message; what is missing after an early end is dropped. */
    byte[] readAtMost(int max) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            int b;
            while (out.size() < max && (b = bodyByte()) >= 0) {
                out.write(b);
            }
        } catch (IOException e) {
            // What arrived is the message.
        }
        return out.toByteArray();
    }

    private int bodyByte() throws IOException {
        if (ended) {
            return -1;
        }
        if (chunked && remaining == 0) {
            remaining = chunkSize();
            if (remaining == 0) {
                ended = true; // trailers, if any, are not needed
                return -1;
            }
        }
        int b = rawByte();
        if (b < 0) {
            if (chunked || remaining > 0) {
                throw new EOFException("The connection closed inside the response body");
            }
            ended = true;
            return -1;
        }
        if (remaining > 0 && --remaining == 0 && !chunked) {
            ended = true;
        }
        return b;
    }

    /** Reads a chunk-size line (after the line end of the previous chunk's data, if any); extensions are ignored. */
    private long chunkSize() throws IOException {
        long size = 0;
        int digits = 0;
        boolean inExtension = false;
        int length = 0;
        while (true) {
            int b = rawByte();
            if (b < 0) {
                throw new EOFException("The connection closed inside the response body");
            }
            if (++length > 1024) {
                throw new IOException("Chunk header too long");
            }
            if (b == '\n') {
                if (digits == 0 && !inExtension) {
                    continue; // the line end after the previous chunk's data
                }
                if (digits == 0) {
                    throw new IOException("Bad chunk size");
                }
                return size;
            }
            if (b == '\r' || inExtension) {
                continue;
            }
            if (b == ';') {
                inExtension = true;
                continue;
            }
            if (b == ' ' || b == '\t') {
                continue;
            }
            int digit = Character.digit(b, 16);
            if (digit < 0 || ++digits > 15) {
                throw new IOException("Bad chunk size");
            }
            size = size * 16 + digit;
        }
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

    /** Closes the connection; a read blocked in another thread ends at once with an exception. */
    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Closing is all we wanted.
        }
    }
}
