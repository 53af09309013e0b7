package dev.corral.testsupport;

import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A protocol-faithful stand-in for an Ollama server (0.33.x) for tests, benchmarks and manual UI testing.
 *
 * <p>Speaks HTTP/1.1 itself on a raw {@link ServerSocket} bound to 127.0.0.1, one virtual thread per connection
 * (plus one per running chat), keep-alive, {@code Content-Length} and chunked request bodies. Responses mimic the
 * bytes of Ollama's Go/Gin server: header order, {@code Content-Type} values, chunked NDJSON streams with one line
 * per chunk flushed per line, Go's JSON escaping, error texts.
 *
 * <p>Endpoints: {@code GET|HEAD /}, {@code GET|HEAD /api/version}, {@code GET|HEAD /api/tags}, {@code GET /api/ps},
 * {@code POST /api/chat}. Anything else: 404 {@code 404 page not found}; a known path with the wrong method: 405
 * {@code 405 method not allowed} (both {@code text/plain}).
 *
 * <p>All setters and records are thread-safe. Faults apply to {@code /api/chat} only and stay set until changed or
 * {@link #reset()} (except {@link #setBusyResponses(int)}, which counts down).
 */
public final class StandInOllama implements AutoCloseable {

    public static final String VERSION = "0.33.0";
    public static final List<String> DEFAULT_MODELS = List.of("llama3.2:latest", "qwen2.5:0.5b", "slow:latest");
    public static final String BUSY_MESSAGE = "server busy, please try again.  maximum pending requests exceeded";
    public static final String MODEL_ERROR_MESSAGE = "an error was encountered while running the model";
    public static final Duration DEFAULT_DROP_GRACE = Duration.ofMillis(50);

    /** GPT-2 style pre-tokenizer: words keep their leading space, punctuation runs are separate tokens. */
    private static final Pattern TOKEN = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CREATED_AT = ",\"created_at\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONTENT_OPEN =
            "\",\"message\":{\"role\":\"assistant\",\"content\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHUNK_CLOSE = "\"},\"done\":false}\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] STREAM_HEADERS_1 =
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nDate: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] STREAM_HEADERS_2 =
            "\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] STREAM_HEADERS_2_CLOSE =
            "\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BAD_REQUEST = ("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8"
            + "\r\nConnection: close\r\n\r\n400 Bad Request").getBytes(StandardCharsets.US_ASCII);
    private static final String JSON_UTF8 = "application/json; charset=utf-8";
    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final List<String> CHAT_FIELDS = List.of("model", "messages", "tools", "format", "options",
            "stream", "keep_alive", "think", "truncate", "shift", "logprobs", "top_logprobs", "_debug_render_only");
    private static final List<String> MESSAGE_FIELDS = List.of("role", "content", "thinking", "images",
            "tool_calls", "tool_name", "tool_call_id");

    private static final int NONE = 0;
    private static final int CLIENT = 1;
    private static final int SERVER = 2;

    // ---------------------------------------------------------------------------------------------- server state
    private final Object lifecycle = new Object();
    private final Set<Conn> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong acceptedConnections = new AtomicLong();
    private volatile int port;
    private volatile ServerSocket serverSocket;
    private volatile boolean closed;

    // ---------------------------------------------------------------------------------------------- configuration
    private volatile Models models;
    private volatile Script script; // null: echo the last user message
    private volatile long tokenDelayNanos;
    private volatile long firstByteDelayNanos;
    private volatile long tagsDelayNanos;
    private final AtomicInteger busyResponses = new AtomicInteger();
    private volatile int failAfterTokens = -1;
    private volatile int dropAfterTokens = -1;
    private volatile long dropGraceNanos = DEFAULT_DROP_GRACE.toNanos();
    private volatile boolean hang;
    private final Set<Exchange> hanging = ConcurrentHashMap.newKeySet();
    private volatile boolean recording = true;

    // ---------------------------------------------------------------------------------------------- records
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<RecordedRequest> chats = new ArrayList<>();
    private final List<String> requestLog = new ArrayList<>();
    private final Set<RecordedRequest> inProgress = ConcurrentHashMap.newKeySet();
    private volatile RecordedRequest lastChat;
    private volatile long generation;
    private int cancelled;
    private int chatCount;

    /** Starts on a random free port. */
    public StandInOllama() {
        this(0);
    }

    /** Starts on {@code port} (0 = random). */
    public StandInOllama(int port) {
        this.port = port;
        this.models = Models.of(DEFAULT_MODELS);
        startServer();
    }

    // ================================================================================================ lifecycle

    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:PORT} (no trailing slash). */
    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public URI uri(String path) {
        return URI.create(baseUrl() + path);
    }

    public boolean isRunning() {
        ServerSocket ss = serverSocket;
        return ss != null && !ss.isClosed();
    }

    /**
     * Starts listening again on the same port (the first call picks the port). No-op if running. Retries for up
     * to 5 s if the port is briefly unavailable.
     */
    public void startServer() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("closed");
            }
            if (isRunning()) {
                return;
            }
            ServerSocket ss = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (ss == null) {
                try {
                    ServerSocket candidate = new ServerSocket();
                    candidate.setReuseAddress(true);
                    try {
                        candidate.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 4096);
                    } catch (IOException e) {
                        candidate.close();
                        throw e;
                    }
                    ss = candidate;
                } catch (BindException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("cannot bind 127.0.0.1:" + port, e);
                    }
                    sleepQuietly(20);
                } catch (IOException e) {
                    throw new IllegalStateException("cannot bind 127.0.0.1:" + port, e);
                }
            }
            port = ss.getLocalPort();
            serverSocket = ss;
            ServerSocket listening = ss;
            Thread.ofVirtual().name("stand-in-ollama-accept-" + port).start(() -> acceptLoop(listening));
        }
    }

    /**
     * Stops listening and closes every open connection (requests in progress end as {@link RecordedRequest.State#FAILED}).
     * Connections to the port are refused afterwards until {@link #startServer()}. Waits up to 2 s for the
     * connection threads to finish.
     */
    public void stopServer() {
        synchronized (lifecycle) {
            ServerSocket ss = serverSocket;
            if (ss != null) {
                closeQuietly(ss);
            }
            for (Conn c : connections) {
                Exchange ex = c.current;
                c.closedByServer = true;
                if (ex != null) {
                    ex.abort(SERVER);
                }
                c.close();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (!connections.isEmpty() && System.nanoTime() < deadline) {
                sleepQuietly(2);
            }
        }
    }

    /** Stops for good. */
    @Override
    public void close() {
        stopServer();
        synchronized (lifecycle) {
            closed = true;
        }
    }

    // ================================================================================================ configuration

    /** Replaces the installed models ({@code /api/tags}, and which chat models exist). A name without tag gets {@code :latest}. */
    public void setModels(String... names) {
        models = Models.of(Arrays.asList(names));
    }

    /** The installed model names as listed by {@code /api/tags}. */
    public List<String> models() {
        return models.names;
    }

    /** Scripts the reply text; it is split into word-ish tokens that keep their leading spaces. */
    public void setReply(String text) {
        script = Script.of(tokenize(text));
    }

    /** Scripts the reply as exactly these content chunks. */
    public void setReplyTokens(List<String> tokens) {
        script = Script.of(List.copyOf(tokens));
    }

    /** Scripts a reply of {@code n} tokens: {@code "tok0"}, {@code " tok1"}, {@code " tok2"}, ... */
    public void setTokenCount(int n) {
        List<String> tokens = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            tokens.add(k == 0 ? "tok0" : " tok" + k);
        }
        script = Script.of(tokens);
    }

    /** Back to the default reply: {@code "Hello! You said: <last user message>"}. */
    public void setEchoReply() {
        script = null;
    }

    /** Pause between content chunks (default 0). */
    public void setTokenDelay(Duration delay) {
        tokenDelayNanos = delay.toNanos();
    }

    /** Delay before anything (status line included) is written for a chat request. */
    public void setFirstByteDelay(Duration delay) {
        firstByteDelayNanos = delay.toNanos();
    }

    /** Delay before {@code /api/tags} answers (the model list), e.g. to make a request to Corral slow. */
    public void setTagsDelay(Duration delay) {
        tagsDelayNanos = delay.toNanos();
    }

    /** The next {@code n} (valid) chat requests get {@code 503 server busy}. */
    public void setBusyResponses(int n) {
        busyResponses.set(n);
    }

    /**
     * After {@code n} content chunks write {@code {"error":"an error was encountered while running the model"}}
     * and end the chunked stream properly, without a done object ({@code n = 0}: a plain {@code 500} before any
     * line, as Ollama does; {@code stream:false}: {@code 500}). Negative disables.
     */
    public void setFailAfterTokens(int n) {
        failAfterTokens = n;
    }

    /**
     * After {@code n} content chunks close the connection (no terminating chunk, no done line). Negative disables.
     * The close happens at least {@link #setDropGrace drop grace} after the last line was flushed.
     */
    public void setDropAfterTokens(int n) {
        dropAfterTokens = n;
    }

    /**
     * Minimum pause between the last line and a scripted drop (default 50 ms; zero = drop right away). JDK
     * HttpClient discards body bytes it has received but the reader has not consumed yet once the connection
     * fails, so without a pause a client may not see the lines sent just before the drop.
     */
    public void setDropGrace(Duration grace) {
        dropGraceNanos = grace.toNanos();
    }

    /**
     * While true, chat requests are accepted and never answered (until the client closes, the server stops, or
     * {@code setHang(false)}, which lets waiting requests continue normally).
     */
    public void setHang(boolean hang) {
        this.hang = hang;
        if (!hang) {
            for (Exchange ex : hanging) {
                LockSupport.unpark(ex.writer);
            }
        }
    }

    /** Whether chat requests are kept in {@link #chatRequests()} (default true; off for benchmarks). */
    public void setRecording(boolean recording) {
        this.recording = recording;
    }

    /** Clears records and faults and restores the default models and the echo reply. */
    public void reset() {
        script = null;
        tokenDelayNanos = 0;
        firstByteDelayNanos = 0;
        tagsDelayNanos = 0;
        busyResponses.set(0);
        failAfterTokens = -1;
        dropAfterTokens = -1;
        dropGraceNanos = DEFAULT_DROP_GRACE.toNanos();
        setHang(false);
        models = Models.of(DEFAULT_MODELS);
        recording = true;
        lock.lock();
        try {
            generation++;
            chats.clear();
            requestLog.clear();
            cancelled = 0;
            chatCount = 0;
            lastChat = null;
            acceptedConnections.set(0);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ================================================================================================ records

    /** All chat requests since the last reset, oldest first. */
    public List<RecordedRequest> chatRequests() {
        lock.lock();
        try {
            return List.copyOf(chats);
        } finally {
            lock.unlock();
        }
    }

    /** The most recent chat request, or {@code null}. */
    public RecordedRequest lastChat() {
        return lastChat;
    }

    /** {@code "METHOD /path"} of every request since the last reset (all routes), in arrival order. */
    public List<String> requestLog() {
        lock.lock();
        try {
            return List.copyOf(requestLog);
        } finally {
            lock.unlock();
        }
    }

    /** Chat requests (since the last reset) that the client cancelled. */
    public int cancelledCount() {
        lock.lock();
        try {
            return cancelled;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Chat requests received since the last {@link #reset()} that are still in progress (hanging, delayed or
     * streaming). Leftovers from before the reset are not counted (see {@link #inFlightTotal()}).
     */
    public int inFlight() {
        long g = generation;
        int n = 0;
        for (RecordedRequest r : inProgress) {
            if (r.generation() == g) {
                n++;
            }
        }
        return n;
    }

    /** All chat requests currently in progress, including leftovers from before the last reset. */
    public int inFlightTotal() {
        return inProgress.size();
    }

    /** TCP connections accepted since start/reset (to check keep-alive reuse). */
    public long connectionCount() {
        return acceptedConnections.get();
    }

    /** TCP connections currently open. */
    public int openConnections() {
        return connections.size();
    }

    /**
     * Waits until the most recent chat request (since the last reset) is {@link RecordedRequest.State#CANCELLED},
     * i.e. the client closed the connection before the response was complete. False on timeout.
     */
    public boolean awaitCancelled(Duration timeout) throws InterruptedException {
        return await(() -> {
            RecordedRequest r = lastChat;
            return r != null && r.state == RecordedRequest.State.CANCELLED;
        }, timeout);
    }

    /** Waits until {@link #inFlight()} equals {@code n}. */
    public boolean awaitInFlight(int n, Duration timeout) throws InterruptedException {
        return await(() -> inFlight() == n, timeout);
    }

    /** Waits until at least {@code n} chat requests arrived since the last reset. */
    public boolean awaitChatRequests(int n, Duration timeout) throws InterruptedException {
        return await(() -> chatCount >= n, timeout);
    }

    /** Chat requests received since the last reset (counted even when recording is off). */
    public int chatCount() {
        lock.lock();
        try {
            return chatCount;
        } finally {
            lock.unlock();
        }
    }

    private boolean await(java.util.function.BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (!condition.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.await(left, TimeUnit.NANOSECONDS);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private RecordedRequest record(Request req, Object json) {
        String body = new String(req.body, StandardCharsets.UTF_8);
        lock.lock();
        try {
            RecordedRequest r = new RecordedRequest(req.method, req.path, req.headers, body, json, req.arrival,
                    generation, lock, changed);
            inProgress.add(r);
            chatCount++;
            if (recording) {
                chats.add(r);
            }
            lastChat = r;
            changed.signalAll();
            return r;
        } finally {
            lock.unlock();
        }
    }

    /** Moves a request to its final state (first call wins). */
    private void finish(Exchange ex, RecordedRequest.State state, String failure) {
        RecordedRequest r = ex.rec;
        lock.lock();
        try {
            if (r.state != RecordedRequest.State.IN_PROGRESS) {
                return;
            }
            Instant now = Instant.now();
            if (state == RecordedRequest.State.CANCELLED) {
                r.cancelledAt = ex.abortNoticedAt != null ? ex.abortNoticedAt : now;
                if (r.generation() == generation) {
                    cancelled++;
                }
            }
            r.failure = failure;
            r.finishedAt = now;
            r.state = state;
            inProgress.remove(r);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void finishAborted(Exchange ex) {
        if (ex.abortReason == CLIENT) {
            finish(ex, RecordedRequest.State.CANCELLED, null);
        } else {
            finish(ex, RecordedRequest.State.FAILED, "server stopped");
        }
    }

    // ================================================================================================ accept / HTTP

    private void acceptLoop(ServerSocket ss) {
        while (!ss.isClosed()) {
            Socket s;
            try {
                s = ss.accept();
            } catch (IOException e) {
                continue; // closed (loop ends) or a transient failure
            }
            Conn c;
            try {
                s.setTcpNoDelay(true);
                c = new Conn(s);
            } catch (IOException e) {
                closeQuietly(s);
                continue;
            }
            connections.add(c);
            if (ss.isClosed()) { // raced with stopServer()
                c.closedByServer = true;
                c.close();
                connections.remove(c);
                return;
            }
            acceptedConnections.incrementAndGet();
            Thread.ofVirtual().name("stand-in-ollama-conn").start(() -> serve(c));
        }
    }

    private void serve(Conn c) {
        try {
            while (true) {
                Request req;
                try {
                    req = readRequest(c);
                } catch (BadRequestException e) {
                    c.out.write(BAD_REQUEST);
                    c.out.flush();
                    break;
                } catch (IOException e) {
                    break;
                }
                if (req == null) {
                    break;
                }
                if (recording) {
                    lock.lock();
                    try {
                        requestLog.add(req.method + " " + req.path);
                    } finally {
                        lock.unlock();
                    }
                }
                boolean keepOpen;
                if (req.path.equals("/api/chat") && req.method.equals("POST")) {
                    keepOpen = runChat(c, req);
                } else {
                    handleSimple(c, req);
                    keepOpen = req.keepAlive;
                }
                if (!keepOpen) {
                    break;
                }
            }
        } catch (IOException e) {
            // connection gone
        } catch (RuntimeException | Error e) {
            System.err.println("stand-in ollama: " + e);
            e.printStackTrace();
        } finally {
            c.closedByServer = true;
            c.close();
            connections.remove(c);
        }
    }

    /**
     * Runs a chat exchange on its own virtual thread while this (connection) thread watches the input side: EOF
     * there means the client closed the connection, which cancels the exchange at once (even while hanging or
     * between slow tokens). Bytes there mean a pipelined next request.
     */
    private boolean runChat(Conn c, Request req) {
        Exchange ex = new Exchange();
        Thread writer = Thread.ofVirtual().name("stand-in-ollama-chat").unstarted(() -> chat(c, req, ex));
        ex.writer = writer;
        c.current = ex;
        writer.start();
        int next;
        try {
            next = c.in.peek();
        } catch (IOException e) {
            next = -1;
        }
        if (next < 0) {
            ex.abort(c.closedByServer ? SERVER : CLIENT);
        }
        joinUninterruptibly(writer);
        c.current = null;
        return next >= 0 && !c.closedByServer;
    }

    private static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private Request readRequest(Conn c) throws IOException, BadRequestException {
        String line;
        do {
            line = c.in.readLine();
            if (line == null) {
                return null;
            }
        } while (line.isEmpty());
        long arrivalNanos = System.nanoTime();
        Instant arrival = Instant.now();
        String[] parts = line.split(" ", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty() || !parts[2].startsWith("HTTP/1.")) {
            throw new BadRequestException();
        }
        Map<String, String> headers = new LinkedHashMap<>();
        while (true) {
            String h = c.in.readLine();
            if (h == null) {
                throw new EOFException();
            }
            if (h.isEmpty()) {
                break;
            }
            int colon = h.indexOf(':');
            if (colon <= 0 || h.substring(0, colon).contains(" ")) {
                throw new BadRequestException();
            }
            String name = h.substring(0, colon).toLowerCase(Locale.ROOT);
            String value = h.substring(colon + 1).trim();
            headers.merge(name, value, (a, b) -> a + ", " + b);
        }
        boolean http11 = parts[2].equals("HTTP/1.1");
        String connection = headers.getOrDefault("connection", "").toLowerCase(Locale.ROOT);
        boolean keepAlive = http11 ? !hasToken(connection, "close") : hasToken(connection, "keep-alive");
        if (!http11) {
            keepAlive = false; // keep HTTP/1.0 simple: one request per connection
        }
        String te = headers.get("transfer-encoding");
        String cl = headers.get("content-length");
        boolean chunked = te != null && hasToken(te.toLowerCase(Locale.ROOT), "chunked");
        long length = 0;
        if (!chunked && cl != null) {
            try {
                length = Long.parseLong(cl.trim());
            } catch (NumberFormatException e) {
                throw new BadRequestException();
            }
            if (length < 0 || length > 256L * 1024 * 1024) {
                throw new BadRequestException();
            }
        }
        if ((chunked || length > 0) && "100-continue".equalsIgnoreCase(headers.get("expect"))) {
            c.out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            c.out.flush();
        }
        byte[] body;
        if (chunked) {
            body = readChunkedBody(c.in);
        } else {
            body = new byte[(int) length];
            c.in.readFully(body);
        }
        String target = parts[1];
        if (target.startsWith("http://") || target.startsWith("https://")) {
            int slash = target.indexOf('/', target.indexOf("//") + 2);
            target = slash < 0 ? "/" : target.substring(slash);
        }
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        return new Request(parts[0], path, headers, body, keepAlive, arrivalNanos, arrival);
    }

    private static boolean hasToken(String headerValue, String token) {
        for (String t : headerValue.split(",")) {
            if (t.trim().equals(token)) {
                return true;
            }
        }
        return false;
    }

    private static byte[] readChunkedBody(HttpIn in) throws IOException, BadRequestException {
        ByteBuf out = new ByteBuf(256);
        while (true) {
            String sizeLine = in.readLine();
            if (sizeLine == null) {
                throw new EOFException();
            }
            int semi = sizeLine.indexOf(';');
            String hex = (semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim();
            int size;
            try {
                size = Integer.parseInt(hex, 16);
            } catch (NumberFormatException e) {
                throw new BadRequestException();
            }
            if (size < 0) {
                throw new BadRequestException();
            }
            if (size == 0) {
                String trailer;
                do {
                    trailer = in.readLine();
                    if (trailer == null) {
                        throw new EOFException();
                    }
                } while (!trailer.isEmpty());
                return out.toArray();
            }
            byte[] data = new byte[size];
            in.readFully(data);
            out.bytes(data);
            String crlf = in.readLine();
            if (crlf == null || !crlf.isEmpty()) {
                throw new BadRequestException();
            }
        }
    }

    // ================================================================================================ simple routes

    private void handleSimple(Conn c, Request req) throws IOException {
        boolean head = req.method.equals("HEAD");
        boolean get = req.method.equals("GET") || head;
        switch (req.path) {
            case "/" -> {
                if (get) {
                    writeFixed(c, req, 200, "text/plain; charset=utf-8", ascii("Ollama is running"));
                    return;
                }
            }
            case "/api/version" -> {
                if (get) {
                    writeFixed(c, req, 200, JSON_UTF8, ascii("{\"version\":\"" + VERSION + "\"}"));
                    return;
                }
            }
            case "/api/tags" -> {
                if (get) {
                    long delay = tagsDelayNanos;
                    if (delay > 0) {
                        sleepQuietly(TimeUnit.NANOSECONDS.toMillis(delay));
                    }
                    writeFixed(c, req, 200, JSON_UTF8, models.tagsJson);
                    return;
                }
            }
            case "/api/ps" -> {
                if (req.method.equals("GET")) {
                    writeFixed(c, req, 200, JSON_UTF8, ascii("{\"models\":[]}"));
                    return;
                }
            }
            case "/api/chat" -> {
                // POST is handled by runChat
            }
            default -> {
                writeFixed(c, req, 404, "text/plain", ascii("404 page not found"));
                return;
            }
        }
        writeFixed(c, req, 405, "text/plain", ascii("405 method not allowed"));
    }

    /**
     * Writes a complete response the way Go's net/http does for a small body written by a Gin handler:
     * {@code Content-Type}, {@code Date}, {@code Content-Length}, then {@code Connection: close} if the client
     * asked for it. HEAD gets the headers only.
     */
    private static void writeFixed(Conn c, Request req, int status, String contentType, byte[] body)
            throws IOException {
        bufferFixed(c, req, status, contentType, body);
        c.out.flush();
    }

    /** Like {@link #writeFixed} but leaves the end of the response in the buffer (the caller flushes). */
    private static void bufferFixed(Conn c, Request req, int status, String contentType, byte[] body)
            throws IOException {
        ByteBuf h = new ByteBuf(160 + body.length);
        h.ascii("HTTP/1.1 ").num(status).b(' ').ascii(reason(status)).crlf()
                .ascii("Content-Type: ").ascii(contentType).crlf()
                .ascii("Date: ").bytes(httpDate()).crlf()
                .ascii("Content-Length: ").num(body.length).crlf();
        if (!req.keepAlive) {
            h.ascii("Connection: close").crlf();
        }
        h.crlf();
        if (!req.method.equals("HEAD")) {
            h.bytes(body);
        }
        // everything but the last byte may go out now; the last byte waits in the buffer for the caller's flush
        c.out.write(h.a, 0, h.n - 1);
        c.out.write(h.a[h.n - 1]);
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 500 -> "Internal Server Error";
            case 503 -> "Service Unavailable";
            default -> "Status";
        };
    }

    private static byte[] errorJson(String message) {
        return new ByteBuf(message.length() + 16).ascii("{\"error\":").jsonString(message).b('}').toArray();
    }

    // ================================================================================================ /api/chat

    /** The chat exchange, on its own virtual thread. Owns the request's final state. */
    private void chat(Conn c, Request req, Exchange ex) {
        ChatCall call = ChatCall.decode(req.body);
        ex.rec = record(req, call.json);
        try {
            chatExchange(c, req, ex, call);
        } catch (IOException e) {
            // write failed: the client is gone (or we closed the socket in stopServer)
            if (ex.abortReason == NONE) {
                ex.abort(c.closedByServer ? SERVER : CLIENT);
            }
            finishAborted(ex);
            c.closedByServer = true;
            c.close();
        } catch (RuntimeException | Error e) {
            finish(ex, RecordedRequest.State.FAILED, "stand-in bug: " + e);
            System.err.println("stand-in ollama: " + e);
            e.printStackTrace();
            c.closedByServer = true;
            c.close();
        }
    }

    private void chatExchange(Conn c, Request req, Exchange ex, ChatCall call) throws IOException {
        // 1. hang: accept and never answer
        if (hang) {
            hanging.add(ex);
            try {
                while (hang && ex.abortReason == NONE) {
                    LockSupport.park(this);
                }
            } finally {
                hanging.remove(ex);
            }
        }
        // 2. slow first byte
        long fbd = firstByteDelayNanos;
        if (fbd > 0) {
            ex.sleepUntil(req.arrivalNanos + fbd);
        }
        if (ex.abortReason != NONE) {
            finishAborted(ex);
            return;
        }
        // 3. validation, like Ollama's ChatHandler
        if (call.error != null) {
            respondError(c, req, ex, call.status, call.error);
            return;
        }
        Model model = models.find(call.model);
        if (model == null) {
            respondError(c, req, ex, 404, "model '" + call.model + "' not found");
            return;
        }
        // 4. scheduler queue full
        if (busyResponses.getAndUpdate(v -> v > 0 ? v - 1 : 0) > 0) {
            respondError(c, req, ex, 503, BUSY_MESSAGE);
            return;
        }
        byte[] modelJson = new ByteBuf(call.model.length() + 2).jsonString(call.model).toArray();
        // 5. empty messages: the model was just loaded (or unloaded); a single object even when streaming
        if (call.messages.isEmpty()) {
            ByteBuf b = new ByteBuf(200);
            b.ascii("{\"model\":").bytes(modelJson).bytes(CREATED_AT);
            Instant now = Instant.now();
            b.rfc3339Utc(now.getEpochSecond(), now.getNano()).bytes(CONTENT_OPEN)
                    .ascii("\"},\"done\":true,\"done_reason\":\"").ascii(call.unload ? "unload" : "load").ascii("\"}");
            respond(c, req, ex, 200, JSON_UTF8, b.toArray(), RecordedRequest.State.COMPLETED, null);
            return;
        }
        // 6. generate
        Script s = script;
        if (s == null) {
            s = Script.of(tokenize("Hello! You said: " + call.lastUserContent()));
        }
        int count = s.tokens.size();
        String doneReason = "stop";
        if (call.numPredict > 0 && call.numPredict < count) {
            count = (int) call.numPredict;
            doneReason = "length";
        }
        generate(c, req, ex, call, s, count, doneReason, modelJson);
    }

    private void generate(Conn c, Request req, Exchange ex, ChatCall call, Script s, int count, String doneReason,
                          byte[] modelJson) throws IOException {
        RecordedRequest rec = ex.rec;
        boolean streaming = call.stream;
        long delay = tokenDelayNanos;
        int drop = dropAfterTokens;
        int fail = failAfterTokens;
        int dropAt = drop >= 0 ? Math.min(drop, count) : Integer.MAX_VALUE;
        int failAt = fail >= 0 ? Math.min(fail, count) : Integer.MAX_VALUE;
        long loadEnd = System.nanoTime();
        long firstToken = loadEnd;
        ByteBuf line = new ByteBuf(256);
        ByteBuf frame = new ByteBuf(256);
        boolean headersSent = false;
        long lastFlush = loadEnd;
        for (int k = 0; k <= count; k++) {
            if (k > 0 && delay > 0 && (k < count || k == dropAt || k == failAt)) {
                ex.sleepUntil(firstToken + k * delay);
            }
            if (ex.abortReason != NONE) {
                finishAborted(ex);
                return;
            }
            if (k == dropAt) {
                if (k > 0 && streaming && dropGraceNanos > 0) {
                    ex.sleepUntil(lastFlush + dropGraceNanos);
                    if (ex.abortReason != NONE) {
                        finishAborted(ex);
                        return;
                    }
                }
                finish(ex, RecordedRequest.State.FAILED, "dropped after " + k + " tokens");
                c.closedByServer = true;
                c.close();
                return;
            }
            if (k == failAt) {
                if (headersSent) {
                    frame.clear();
                    byte[] err = errorJson(MODEL_ERROR_MESSAGE);
                    frame.hex(err.length + 1).crlf().bytes(err).b('\n').crlf().bytes(LAST_CHUNK);
                    frame.writeTo(c.out);
                    finish(ex, RecordedRequest.State.FAILED, "error line after " + k + " tokens");
                    c.out.flush();
                    closeIfRequested(c, req);
                } else {
                    // Ollama's streamResponse: an error before any line is a real status with
                    // Content-Type "application/json" (no charset); stream:false uses c.JSON (with charset).
                    respondError(c, req, ex, 500, streaming ? "application/json" : JSON_UTF8, MODEL_ERROR_MESSAGE);
                }
                return;
            }
            if (k == count) {
                break;
            }
            if (k == 0) {
                firstToken = System.nanoTime();
            }
            if (streaming) {
                line.clear().b('{').ascii("\"model\":").bytes(modelJson).bytes(CREATED_AT);
                Instant now = Instant.now();
                line.rfc3339Utc(now.getEpochSecond(), now.getNano()).bytes(CONTENT_OPEN)
                        .bytes(s.escaped[k]).bytes(CHUNK_CLOSE);
                frame.clear();
                if (!headersSent) {
                    appendStreamHeaders(frame, req);
                    rec.status = 200;
                    headersSent = true;
                }
                frame.hex(line.n).crlf();
                frame.writeTo(c.out);
                line.writeTo(c.out);
                c.out.write(CRLF);
                rec.tokensSent = k + 1; // before the flush: a client that read k+1 lines sees it
                c.out.flush();
                lastFlush = System.nanoTime();
            } else {
                rec.tokensSent = k + 1;
            }
        }
        // the final object
        long end = System.nanoTime();
        long t0 = req.arrivalNanos;
        line.clear().b('{').ascii("\"model\":").bytes(modelJson).bytes(CREATED_AT);
        Instant now = Instant.now();
        line.rfc3339Utc(now.getEpochSecond(), now.getNano()).bytes(CONTENT_OPEN);
        if (!streaming) {
            StringBuilder content = new StringBuilder();
            for (int k = 0; k < count; k++) {
                content.append(s.tokens.get(k));
            }
            line.jsonStringBody(content);
        }
        line.ascii("\"},\"done\":true,\"done_reason\":\"").ascii(doneReason).ascii("\"")
                .ascii(",\"total_duration\":").num(Math.max(1, end - t0))
                .ascii(",\"load_duration\":").num(Math.max(1, loadEnd - t0))
                .ascii(",\"prompt_eval_count\":").num(call.promptTokens)
                .ascii(",\"prompt_eval_duration\":").num(Math.max(1, firstToken - loadEnd))
                .ascii(",\"eval_count\":").num(count)
                .ascii(",\"eval_duration\":").num(Math.max(1, end - firstToken))
                .b('}');
        if (streaming) {
            line.b('\n');
            frame.clear();
            if (!headersSent) {
                appendStreamHeaders(frame, req);
                rec.status = 200;
            }
            frame.hex(line.n).crlf();
            frame.writeTo(c.out);
            line.writeTo(c.out);
            c.out.write(CRLF);
            c.out.write(LAST_CHUNK);
            finish(ex, RecordedRequest.State.COMPLETED, null);
            c.out.flush();
            closeIfRequested(c, req);
        } else {
            respond(c, req, ex, 200, JSON_UTF8, line.toArray(), RecordedRequest.State.COMPLETED, null);
        }
    }

    private static void appendStreamHeaders(ByteBuf frame, Request req) {
        frame.bytes(STREAM_HEADERS_1).bytes(httpDate()).bytes(req.keepAlive ? STREAM_HEADERS_2 : STREAM_HEADERS_2_CLOSE);
    }

    /**
     * Writes a complete response. The final state is recorded before the flush that completes the response, so
     * a client that has read the whole response always finds the record settled.
     */
    private void respond(Conn c, Request req, Exchange ex, int status, String contentType, byte[] body,
                         RecordedRequest.State state, String failure) throws IOException {
        ex.rec.status = status;
        bufferFixed(c, req, status, contentType, body);
        finish(ex, state, failure);
        c.out.flush();
        closeIfRequested(c, req);
    }

    private void respondError(Conn c, Request req, Exchange ex, int status, String message) throws IOException {
        respondError(c, req, ex, status, JSON_UTF8, message);
    }

    private void respondError(Conn c, Request req, Exchange ex, int status, String contentType, String message)
            throws IOException {
        respond(c, req, ex, status, contentType, errorJson(message), RecordedRequest.State.FAILED,
                status + " " + message);
    }

    private static void closeIfRequested(Conn c, Request req) {
        if (!req.keepAlive) {
            c.closedByServer = true;
            c.close();
        }
    }

    // ================================================================================================ helpers

    /** Splits text into word-ish tokens that keep their leading space (concatenation gives the text back). */
    public static List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = TOKEN.matcher(text);
        int pos = 0;
        while (m.find()) {
            if (m.start() > pos) {
                out.add(text.substring(pos, m.start()));
            }
            if (m.end() > m.start()) {
                out.add(m.group());
            }
            pos = m.end();
        }
        if (pos < text.length()) {
            out.add(text.substring(pos));
        }
        return out;
    }

    private static volatile DateCache dateCache = new DateCache(-1, new byte[0]);

    private record DateCache(long second, byte[] bytes) {
    }

    private static byte[] httpDate() {
        long now = System.currentTimeMillis() / 1000;
        DateCache d = dateCache;
        if (d.second != now) {
            d = new DateCache(now, ascii(HTTP_DATE.format(Instant.ofEpochSecond(now))));
            dateCache = d;
        }
        return d.bytes;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // ignore
        }
    }

    // ================================================================================================ types

    private record Request(String method, String path, Map<String, String> headers, byte[] body, boolean keepAlive,
                           long arrivalNanos, Instant arrival) {
    }

    private static final class BadRequestException extends Exception {
        BadRequestException() {
            super(null, null, false, false);
        }
    }

    /** One running chat: the writer thread and the cancel signal from the connection's input watcher. */
    private static final class Exchange {
        volatile RecordedRequest rec;
        volatile Thread writer;
        volatile int abortReason = NONE;
        volatile Instant abortNoticedAt;

        void abort(int reason) {
            if (abortReason == NONE) {
                abortNoticedAt = Instant.now();
                abortReason = reason;
            }
            LockSupport.unpark(writer);
        }

        /** Parks until {@code deadline} (System.nanoTime) or an abort. */
        void sleepUntil(long deadline) {
            while (abortReason == NONE) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                LockSupport.parkNanos(this, left);
            }
        }
    }

    private static final class Conn {
        final Socket socket;
        final HttpIn in;
        final BufferedOutputStream out;
        volatile boolean closedByServer;
        volatile Exchange current;

        Conn(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new HttpIn(socket.getInputStream());
            this.out = new BufferedOutputStream(socket.getOutputStream(), 2048);
        }

        void close() {
            closeQuietly(socket);
        }
    }

    /** Minimal buffered reader for request heads and bodies; {@link #peek()} doubles as the EOF watcher. */
    private static final class HttpIn {
        private final InputStream in;
        private final byte[] buf = new byte[2048];
        private int pos;
        private int lim;

        HttpIn(InputStream in) {
            this.in = in;
        }

        /** Next byte without consuming it; -1 at EOF. Blocks. */
        int peek() throws IOException {
            if (pos < lim) {
                return buf[pos] & 0xff;
            }
            pos = 0;
            lim = 0;
            int r = in.read(buf, 0, buf.length);
            if (r <= 0) {
                return -1;
            }
            lim = r;
            return buf[0] & 0xff;
        }

        int read() throws IOException {
            int c = peek();
            if (c >= 0) {
                pos++;
            }
            return c;
        }

        /** A line without its CRLF/LF (ISO-8859-1); null at EOF before any byte. */
        String readLine() throws IOException, BadRequestException {
            StringBuilder sb = new StringBuilder(64);
            boolean any = false;
            while (true) {
                int c = read();
                if (c < 0) {
                    if (!any) {
                        return null;
                    }
                    throw new EOFException();
                }
                any = true;
                if (c == '\n') {
                    int len = sb.length();
                    if (len > 0 && sb.charAt(len - 1) == '\r') {
                        sb.setLength(len - 1);
                    }
                    return sb.toString();
                }
                if (sb.length() > 65536) {
                    throw new BadRequestException();
                }
                sb.append((char) c);
            }
        }

        void readFully(byte[] dst) throws IOException {
            int off = 0;
            while (off < dst.length) {
                if (pos < lim) {
                    int n = Math.min(lim - pos, dst.length - off);
                    System.arraycopy(buf, pos, dst, off, n);
                    pos += n;
                    off += n;
                } else {
                    int r = in.read(dst, off, dst.length - off);
                    if (r < 0) {
                        throw new EOFException();
                    }
                    off += r;
                }
            }
        }
    }

    /** A scripted reply: the tokens and their JSON-escaped bytes (precomputed once). */
    private record Script(List<String> tokens, byte[][] escaped) {
        static Script of(List<String> tokens) {
            byte[][] escaped = new byte[tokens.size()][];
            ByteBuf b = new ByteBuf(64);
            for (int k = 0; k < escaped.length; k++) {
                escaped[k] = b.clear().jsonStringBody(tokens.get(k)).toArray();
            }
            return new Script(tokens, escaped);
        }
    }

    private record Model(String name, String key) {
    }

    /** The installed models and the precomputed {@code /api/tags} body. */
    private record Models(List<String> names, List<Model> list, byte[] tagsJson) {
        static Models of(List<String> given) {
            List<Model> list = new ArrayList<>();
            List<String> names = new ArrayList<>();
            ByteBuf b = new ByteBuf(512).ascii("{\"models\":[");
            for (int k = 0; k < given.size(); k++) {
                String name = given.get(k).trim();
                if (name.indexOf(':', name.lastIndexOf('/') + 1) < 0) {
                    name = name + ":latest";
                }
                names.add(name);
                list.add(new Model(name, normalize(name)));
                if (k > 0) {
                    b.b(',');
                }
                appendTag(b, name, k);
            }
            b.ascii("]}");
            return new Models(List.copyOf(names), List.copyOf(list), b.toArray());
        }

        Model find(String requested) {
            String key = normalize(requested);
            for (Model m : list) {
                if (m.key.equals(key)) {
                    return m;
                }
            }
            return null;
        }

        private static void appendTag(ByteBuf b, String name, int index) {
            String base = name.substring(0, name.indexOf(':', name.lastIndexOf('/') + 1)).toLowerCase(Locale.ROOT);
            String tag = name.substring(name.indexOf(':', name.lastIndexOf('/') + 1) + 1).toLowerCase(Locale.ROOT);
            String family = "llama";
            String params = "3.2B";
            long size = 2019393189L;
            String digest = sha256(name);
            if (base.endsWith("llama3.2") && tag.equals("latest")) {
                digest = "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72";
            } else if (base.startsWith("qwen2.5") || base.contains("/qwen2.5")) {
                family = "qwen2";
                params = "494.03M";
                size = 397821319L;
            }
            Matcher pm = Pattern.compile("(\\d+(?:\\.\\d+)?)([bm])").matcher(tag);
            if (pm.matches() && !base.startsWith("qwen2.5")) {
                params = pm.group(1) + pm.group(2).toUpperCase(Locale.ROOT);
            }
            // modified_at: local -07:00 offset and a fraction of varying length, newest first
            int[] fractions = {706015396, 500000000, 0, 123456000, 40000000};
            OffsetDateTime t = OffsetDateTime.of(2025, 5, 4, 17, 37, 44, 0, ZoneOffset.ofHours(-7))
                    .minusDays(3L * index).minusMinutes(433L * index);
            t = t.withNano(fractions[index % fractions.length]);
            b.ascii("{\"name\":").jsonString(name).ascii(",\"model\":").jsonString(name)
                    .ascii(",\"modified_at\":\"").ascii(goTime(t)).ascii("\",\"size\":").num(size)
                    .ascii(",\"digest\":\"").ascii(digest).ascii("\"")
                    .ascii(",\"details\":{\"parent_model\":\"\",\"format\":\"gguf\",\"family\":").jsonString(family)
                    .ascii(",\"families\":[").jsonString(family).ascii("],\"parameter_size\":").jsonString(params)
                    .ascii(",\"quantization_level\":\"Q4_K_M\"},\"capabilities\":[\"completion\"]}");
        }

        private static String goTime(OffsetDateTime t) {
            String s = t.format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss"));
            int nano = t.getNano();
            if (nano != 0) {
                String f = String.format("%09d", nano).replaceAll("0+$", "");
                s += "." + f;
            }
            return s + t.getOffset().getId();
        }

        private static String sha256(String s) {
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(ascii(s)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Normalises a model name for lookup: lower case, default registry/namespace dropped, {@code :latest} added. */
    static String normalize(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.startsWith("registry.ollama.ai/")) {
            n = n.substring("registry.ollama.ai/".length());
        }
        if (n.startsWith("library/")) {
            n = n.substring("library/".length());
        }
        if (n.indexOf(':', n.lastIndexOf('/') + 1) < 0) {
            n = n + ":latest";
        }
        return n;
    }

    /** A decoded chat request, or the 400 error Ollama would answer with. */
    private static final class ChatCall {
        Object json;
        String error;
        int status;
        String model = "";
        List<Map<?, ?>> messages = List.of();
        boolean stream = true;
        boolean unload;
        long numPredict = -1;
        int promptTokens;

        static ChatCall decode(byte[] body) {
            ChatCall call = new ChatCall();
            Object root;
            try {
                root = GoJson.decode(body);
            } catch (GoJson.SyntaxException e) {
                return call.fail(400, e.getMessage());
            }
            if (root == GoJson.EMPTY) {
                return call.fail(400, "missing request body");
            }
            call.json = root;
            if (root != null && !(root instanceof Map)) {
                return call.fail(400, "json: cannot unmarshal " + GoJson.kind(root)
                        + " into Go value of type api.ChatRequest");
            }
            String typeError = null;
            Map<?, ?> map = root == null ? Map.of() : (Map<?, ?>) root;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String field = GoJson.fieldName((String) e.getKey(), CHAT_FIELDS);
                Object v = e.getValue();
                if (field == null || v == null) {
                    continue;
                }
                String err = null;
                switch (field) {
                    case "model" -> {
                        if (v instanceof String s) {
                            call.model = s;
                        } else {
                            err = GoJson.typeError(v, "ChatRequest", "model", "string");
                        }
                    }
                    case "stream" -> {
                        if (v instanceof Boolean b) {
                            call.stream = b;
                        } else {
                            err = GoJson.typeError(v, "ChatRequest", "stream", "bool");
                        }
                    }
                    case "truncate", "shift", "logprobs", "_debug_render_only" -> {
                        if (!(v instanceof Boolean)) {
                            err = GoJson.typeError(v, "ChatRequest", field, "bool");
                        }
                    }
                    case "options" -> {
                        if (v instanceof Map<?, ?> o) {
                            if (o.get("num_predict") instanceof Number np) {
                                call.numPredict = np.longValue();
                            }
                        } else {
                            err = GoJson.typeError(v, "ChatRequest", "options", "map[string]interface {}");
                        }
                    }
                    case "messages" -> {
                        if (v instanceof List<?> list) {
                            List<Map<?, ?>> msgs = new ArrayList<>();
                            for (Object o : list) {
                                if (o == null) {
                                    msgs.add(Map.of());
                                } else if (o instanceof Map<?, ?> m) {
                                    msgs.add(m);
                                    for (Map.Entry<?, ?> me : m.entrySet()) {
                                        String mf = GoJson.fieldName((String) me.getKey(), MESSAGE_FIELDS);
                                        Object mv = me.getValue();
                                        if (mf != null && mv != null && !mf.equals("images") && !mf.equals("tool_calls")
                                                && !(mv instanceof String) && err == null) {
                                            err = GoJson.typeError(mv, "Message", "messages." + mf, "string");
                                        }
                                    }
                                } else if (err == null) {
                                    err = GoJson.typeError(o, "ChatRequest", "messages", "api.Message");
                                }
                            }
                            call.messages = msgs;
                        } else {
                            err = GoJson.typeError(v, "ChatRequest", "messages", "[]api.Message");
                        }
                    }
                    case "keep_alive" -> {
                        // api.Duration.UnmarshalJSON: its errors abort decoding at once
                        if (v instanceof Number n) {
                            call.unload = n.doubleValue() == 0;
                        } else if (v instanceof String s) {
                            try {
                                call.unload = GoJson.parseGoDuration(s) == 0;
                            } catch (GoJson.SyntaxException ex) {
                                return call.fail(400, ex.getMessage());
                            }
                        } else {
                            String t = v instanceof Boolean ? "bool"
                                    : v instanceof List ? "[]interface {}" : "map[string]interface {}";
                            return call.fail(400, "Unsupported type: '" + t + "'");
                        }
                    }
                    default -> {
                        // tools, format, think, top_logprobs: accepted as they are
                    }
                }
                if (err != null && typeError == null) {
                    typeError = err;
                }
            }
            if (typeError != null) {
                return call.fail(400, typeError);
            }
            if (call.model.isEmpty()) {
                return call.fail(400, "model is required");
            }
            int prompt = 1;
            for (Map<?, ?> m : call.messages) {
                prompt += 4 + (m.get("content") instanceof String s ? tokenize(s).size() : 0);
            }
            call.promptTokens = prompt;
            return call;
        }

        private ChatCall fail(int status, String message) {
            this.status = status;
            this.error = message;
            return this;
        }

        String lastUserContent() {
            for (int k = messages.size() - 1; k >= 0; k--) {
                Map<?, ?> m = messages.get(k);
                if ("user".equalsIgnoreCase(String.valueOf(m.get("role")))) {
                    return m.get("content") instanceof String s ? s : "";
                }
            }
            return "";
        }
    }

    // ================================================================================================ main

    /**
     * Runs the stand-in as a process: {@code --port N} (default 11434), {@code --token-delay-ms N},
     * {@code --tokens N}. Recording is off (no memory growth). Runs until killed.
     */
    public static void main(String[] args) throws InterruptedException {
        int port = 11434;
        long delayMs = 0;
        int tokens = -1;
        for (int k = 0; k < args.length; k++) {
            switch (args[k]) {
                case "--port" -> port = Integer.parseInt(args[++k]);
                case "--token-delay-ms" -> delayMs = Long.parseLong(args[++k]);
                case "--tokens" -> tokens = Integer.parseInt(args[++k]);
                default -> {
                    System.err.println("usage: StandInOllama [--port N] [--token-delay-ms N] [--tokens N]");
                    System.exit(2);
                }
            }
        }
        StandInOllama server = new StandInOllama(port);
        server.setRecording(false);
        server.setTokenDelay(Duration.ofMillis(delayMs));
        if (tokens >= 0) {
            server.setTokenCount(tokens);
        }
        System.out.println("stand-in ollama listening on " + server.baseUrl());
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
