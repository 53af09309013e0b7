package dev.corral.bench;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * The load generator's streaming request: one HTTP/1.1 request on its own blocking socket (one virtual thread per
 * chat), the response read line by line as it arrives, chunked or not. Used for both sides of the comparison
 * (direct NDJSON and Corral's SSE), so neither is favoured.
 *
 * <p>Why not the JDK HttpClient (which the set-up calls still use): its asynchronous pipeline hands every chunk
 * through a selector thread and an executor task before a reader sees it, about as costly per token as the relay
 * being measured. On a 2-core machine that shares its cores with Corral and the stand-in, the load generator's own
 * cost then showed up as gaps on both sides.
 */
final class StreamingRequest implements Closeable {

    private static final int MAX_HEADER_BYTES = 16 * 1024;

    private final Socket socket;
    private final Input in;
    final int status;
    private final boolean chunked;
    private long remaining; // bytes left in the current chunk, or of a Content-Length body (-1: until EOF)
    private boolean ended;

    private StreamingRequest(Socket socket, Input in, int status, boolean chunked, long length) {
        this.socket = socket;
        this.in = in;
        this.status = status;
        this.chunked = chunked;
        this.remaining = chunked ? 0 : length;
    }

    /** Sends {@code POST path} with {@code body} and reads the status line and headers. */
    static StreamingRequest post(URI base, String path, Map<String, String> headers, String body)
            throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 10_000);
            byte[] payload = body.getBytes(StandardCharsets.UTF_8);
            StringBuilder head = new StringBuilder(256)
                    .append("POST ").append(path).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(base.getHost()).append(':').append(base.getPort()).append("\r\n")
                    .append("Content-Length: ").append(payload.length).append("\r\n")
                    .append("Connection: close\r\n");
            headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
            head.append("\r\n");
            OutputStream out = socket.getOutputStream();
            byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
            byte[] request = new byte[headBytes.length + payload.length];
            System.arraycopy(headBytes, 0, request, 0, headBytes.length);
            System.arraycopy(payload, 0, request, headBytes.length, payload.length);
            out.write(request);
            out.flush();
            Input in = new Input(socket.getInputStream());
            String statusLine = headerLine(in);
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP/1.x status line: " + statusLine);
            }
            int status = Integer.parseInt(parts[1]);
            boolean chunked = false;
            long length = -1;
            String line;
            while (!(line = headerLine(in)).isEmpty()) {
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
            return new StreamingRequest(socket, in, status, chunked, length);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Closing it (from another thread) closes the socket and so ends a blocked read. */
    InputStream closer() throws IOException {
        return socket.getInputStream();
    }

    /** The next line of the body without its line end, or null at the end of the body. */
    String readLine() throws IOException {
        ByteArrayOutputStream line = null;
        byte[] small = new byte[256];
        int n = 0;
        while (true) {
            int b = bodyByte();
            if (b < 0) {
                if (n == 0 && line == null) {
                    return null;
                }
                break;
            }
            if (b == '\n') {
                break;
            }
            if (n == small.length) {
                if (line == null) {
                    line = new ByteArrayOutputStream(512);
                }
                line.write(small, 0, n);
                n = 0;
            }
            small[n++] = (byte) b;
        }
        if (n > 0 && small[n - 1] == '\r' && line == null) {
            n--;
        }
        if (line == null) {
            return new String(small, 0, n, StandardCharsets.UTF_8);
        }
        line.write(small, 0, n);
        String text = line.toString(StandardCharsets.UTF_8);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }

    /** Up to {@code max} bytes of the body (for error messages). */
    String readAtMost(int max) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int b;
        while (out.size() < max && (b = bodyByte()) >= 0) {
            out.write(b);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private int bodyByte() throws IOException {
        if (ended) {
            return -1;
        }
        if (chunked && remaining == 0) {
            String size = headerLine(in);
            if (size.isEmpty()) { // the CRLF after the previous chunk's data
                size = headerLine(in);
            }
            int semicolon = size.indexOf(';');
            remaining = Long.parseLong((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
            if (remaining == 0) {
                ended = true;
                return -1;
            }
        } else if (!chunked && remaining == 0) {
            ended = true;
            return -1;
        }
        int b = in.read();
        if (b < 0) {
            if (chunked || remaining > 0) {
                throw new EOFException("connection closed inside the response body");
            }
            ended = true;
            return -1;
        }
        if (remaining > 0) {
            remaining--;
        }
        return b;
    }

    private static String headerLine(Input in) throws IOException {
        StringBuilder sb = new StringBuilder(64);
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new EOFException("connection closed in the response head");
            }
            if (sb.length() > MAX_HEADER_BYTES) {
                throw new IOException("response header line too long");
            }
            if (b != '\r') {
                sb.append((char) b);
            }
        }
        return sb.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** A read buffer without BufferedInputStream's per-byte locking (one reader per socket). */
    private static final class Input {
        private final InputStream socket;
        private final byte[] buffer = new byte[2048];
        private int position;
        private int limit;

        Input(InputStream socket) {
            this.socket = socket;
        }

        int read() throws IOException {
            if (position == limit) {
                int n = socket.read(buffer, 0, buffer.length);
                if (n <= 0) {
                    return -1;
                }
                position = 0;
                limit = n;
            }
            return buffer[position++] & 0xff;
        }
    }
}
