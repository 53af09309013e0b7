package dev.corral.bench;

import java.io.Closeable;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.corral.testsupport.StandInOllama;

/**
 * Streaming-relay benchmark: C concurrent chats through Corral (SSE) against C concurrent chats straight to the
 * stand-in Ollama (NDJSON), at the same pace, with the same client code. Reports time to first token, inter-token
 * (inter-delta) gaps, errors and Corral's resident memory. Not a test: run it with bench/run.sh.
 */
public final class RelayBenchmark {

    /** run.sh's default JAVA_OPTS. */
    static final String RUN_SH_JAVA_OPTS = "-Xmx256m -XX:+UseSerialGC -Xss512k";
    /** The benchmark measures Corral as run.sh starts it. */
    static final String DEFAULT_JAVA_OPTS = RUN_SH_JAVA_OPTS;
    static final String MODEL = "llama3.2:latest";
    static final JsonMapper JSON = JsonMapper.builder().build();

    // ------------------------------------------------------------------------------------------ settings
    record Settings(Path jar, List<Integer> levels, long tokenDelayMs, int tokens, int warmup, long phaseTimeoutS,
                    long rampMs, List<String> javaOpts, boolean keep, boolean strict, boolean detail) {

        static Settings parse(String[] args) {
            Map<String, List<String>> a = new LinkedHashMap<>();
            for (int k = 0; k < args.length; k++) {
                String key = args[k];
                if (!key.startsWith("--")) {
                    throw usage("unexpected argument " + key);
                }
                key = key.substring(2);
                if (key.equals("keep") || key.equals("strict") || key.equals("detail")) {
                    a.computeIfAbsent(key, x -> new ArrayList<>()).add("true");
                    continue;
                }
                if (k + 1 >= args.length) {
                    throw usage("missing value for --" + key);
                }
                a.computeIfAbsent(key, x -> new ArrayList<>()).add(args[++k]);
            }
            for (String key : a.keySet()) {
                if (!List.of("jar", "levels", "token-delay-ms", "tokens", "warmup", "phase-timeout-s", "ramp-ms",
                        "java-opts", "keep", "strict", "detail").contains(key)) {
                    throw usage("unknown option --" + key);
                }
            }
            String jar = one(a, "jar", env("BENCH_JAR", "target/corral.jar"));
            List<Integer> levels = Arrays.stream(one(a, "levels", env("BENCH_LEVELS", "1,100,1000")).split(","))
                    .map(String::trim).filter(s -> !s.isEmpty()).map(Integer::parseInt).toList();
            long delay = Long.parseLong(one(a, "token-delay-ms", env("BENCH_TOKEN_DELAY_MS", "20")));
            int tokens = Integer.parseInt(one(a, "tokens", env("BENCH_TOKENS", "100")));
            int warmup = Integer.parseInt(one(a, "warmup", env("BENCH_WARMUP", "8000")));
            long timeout = Long.parseLong(one(a, "phase-timeout-s", env("BENCH_PHASE_TIMEOUT_S", "60")));
            long ramp = Long.parseLong(one(a, "ramp-ms", env("BENCH_RAMP_MS", "0")));
            List<String> opts = a.containsKey("java-opts") ? a.get("java-opts")
                    : List.of(env("CORRAL_JAVA_OPTS", DEFAULT_JAVA_OPTS));
            boolean keep = a.containsKey("keep") || "1".equals(System.getenv("BENCH_KEEP"));
            boolean strict = a.containsKey("strict") || "1".equals(System.getenv("BENCH_STRICT"));
            if (levels.isEmpty() || levels.stream().anyMatch(l -> l < 1 || l > 20_000) || tokens < 2 || tokens > 10_000
                    || delay < 0 || warmup < 0 || warmup > 20_000 || timeout < 1 || ramp < 0 || ramp > 600_000
                    || opts.size() > 10) {
                throw usage("a setting is out of range");
            }
            boolean detail = a.containsKey("detail") || "1".equals(System.getenv("BENCH_DETAIL"));
            return new Settings(Path.of(jar).toAbsolutePath(), levels, delay, tokens, warmup, timeout, ramp, opts,
                    keep, strict, detail);
        }

        private static String one(Map<String, List<String>> a, String key, String fallback) {
            List<String> v = a.get(key);
            return v == null ? fallback : v.getLast();
        }

        private static String env(String name, String fallback) {
            String v = System.getenv(name);
            return v == null || v.isBlank() ? fallback : v;
        }

        private static IllegalArgumentException usage(String problem) {
            return new IllegalArgumentException(problem + "\nusage: RelayBenchmark [--jar target/corral.jar] "
                    + "[--levels 1,100,1000] [--token-delay-ms 20] [--tokens 100] [--warmup 8000] "
                    + "[--phase-timeout-s 60] [--ramp-ms 0] [--java-opts '<opts>']... [--keep] [--strict] [--detail]");
        }
    }

    // ------------------------------------------------------------------------------------------ results
    /** One chat's timings (nanoTime) and outcome. */
    static final class Chat {
        long start;
        long headers; // response headers (Corral: with the start event) received
        final long[] arrivals;
        int count;
        String error;
        final StringBuilder text = new StringBuilder();

        Chat(int capacity) {
            arrivals = new long[capacity];
        }

        void arrived(long t) {
            if (count < arrivals.length) {
                arrivals[count++] = t;
            }
        }
    }

    record PhaseResult(int chats, int errors, Map<String, Integer> errorKinds, long[] ttft, long[] gaps,
                       long[] headers, double piecesPerAnswer, double wallS, double corralCpuS, double benchCpuS,
                       double otherCpuS) {
    }

    record LevelResult(int level, PhaseResult direct, PhaseResult corral, long peakRssKb) {
    }

    // ------------------------------------------------------------------------------------------ state
    private final Settings settings;
    private final HttpClient http;
    private final StandInOllama ollama;
    private final String expectedText;

    RelayBenchmark(Settings settings, StandInOllama ollama) {
        this.settings = settings;
        this.ollama = ollama;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < settings.tokens; k++) {
            sb.append(k == 0 ? "tok0" : " tok" + k);
        }
        this.expectedText = sb.toString();
    }

    public static void main(String[] args) throws Exception {
        Settings settings;
        try {
            settings = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        if (!Files.isRegularFile(settings.jar)) {
            System.err.println("No Corral jar at " + settings.jar + " (build it first: ./mvnw -DskipTests package)");
            System.exit(2);
        }
        int status;
        try (StandInOllama ollama = new StandInOllama(0)) {
            ollama.setRecording(false);
            ollama.setTokenDelay(Duration.ofMillis(settings.tokenDelayMs));
            ollama.setTokenCount(settings.tokens);
            status = new RelayBenchmark(settings, ollama).runAll();
        }
        System.out.flush();
        System.exit(status);
    }

    int runAll() throws Exception {
        System.out.printf(Locale.ROOT, "Corral streaming-relay benchmark: stand-in Ollama at %s, %d ms/token, "
                        + "%d tokens/answer (~%.1f s/answer), levels %s, warm-up %d chats, phase timeout %d s, %s%n",
                ollama.baseUrl(), settings.tokenDelayMs, settings.tokens,
                settings.tokenDelayMs * (settings.tokens - 1) / 1000.0, settings.levels, settings.warmup,
                settings.phaseTimeoutS, settings.rampMs == 0 ? "all chats of a level start at once"
                        : "the chats of a level start evenly over " + settings.rampMs + " ms");
        System.out.printf(Locale.ROOT, "Machine: %d CPUs shared by the load generator, the stand-in Ollama and Corral; "
                        + "load average %s; bench JVM: %s %s%n", Runtime.getRuntime().availableProcessors(),
                loadAverage(), Runtime.version(),
                String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        int status = 0;
        for (String opts : settings.javaOpts) {
            status = Math.max(status, runWith(opts));
        }
        return status;
    }

    /** One Corral process with these JVM options: all levels. 0 ok, 1 failed to run, 3 targets missed (--strict). */
    private int runWith(String javaOpts) throws Exception {
        Path dir = Files.createTempDirectory("corral-bench-");
        Path log = dir.resolve("corral.log");
        int port = freePort();
        String password = HexFormat.of().formatHex(SecureRandom.getSeed(12));
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(Arrays.asList(javaOpts.trim().split("\\s+")));
        cmd.removeIf(String::isEmpty);
        cmd.add("-jar");
        cmd.add(settings.jar.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()) // no ./.env from the repo
                .redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.remove("DATABASE_URL");
        env.remove("JAVA_TOOL_OPTIONS");
        env.put("PORT", Integer.toString(port));
        env.put("BIND_ADDRESS", "127.0.0.1");
        env.put("CORRAL_DATA_DIR", dir.resolve("data").toString());
        env.put("OLLAMA_BASE_URL", ollama.baseUrl());
        env.put("CORRAL_ADMIN_USERNAME", "bench");
        env.put("CORRAL_ADMIN_PASSWORD", password);
        // One benchmark user starts thousands of chats a minute: the relay is measured here, not the rate limits
        // (bench/run.sh ratelimit measures those).
        env.put("RATE_LIMIT_ENABLED", "false");
        System.out.println();
        System.out.println("Corral JAVA_OPTS: " + javaOpts + "   (log: " + log + ")");
        if (!javaOpts.equals(RUN_SH_JAVA_OPTS)) {
            System.out.println("  (run.sh's default is " + RUN_SH_JAVA_OPTS + "; pass --java-opts '" + RUN_SH_JAVA_OPTS
                    + "' to measure exactly that)");
        }
        Process corral = pb.start();
        boolean failed = true;
        try {
            Corral api = new Corral(URI.create("http://127.0.0.1:" + port), corral, log);
            long t0 = System.nanoTime();
            api.awaitUp(Duration.ofSeconds(90));
            System.out.printf(Locale.ROOT, "  started in %.1f s, RSS %d MB%n", (System.nanoTime() - t0) / 1e9,
                    rssKb(corral.pid()) / 1024);
            for (int attempt = 1; ; attempt++) {
                try {
                    api.signIn("bench", password);
                    break;
                } catch (IOException e) {
                    if (attempt == 3) {
                        throw e;
                    }
                    System.out.println("  sign-in attempt " + attempt + " failed (" + e + "); retrying");
                    Thread.sleep(1000);
                }
            }
            // Warm-up rounds as large as the largest level, so that its code paths (a burst of connections, deep
            // queues) are compiled too; round after round on the same conversations.
            int warmupRound = Math.min(settings.warmup, Collections.max(settings.levels));
            int needed = warmupRound + settings.levels.stream().mapToInt(Integer::intValue).sum();
            t0 = System.nanoTime();
            List<String> conversations = api.createConversations(needed, Duration.ofSeconds(120));
            System.out.printf(Locale.ROOT, "  created %d conversations in %.1f s%n", conversations.size(),
                    (System.nanoTime() - t0) / 1e9);
            int next = warmupRound;
            if (settings.warmup > 0) {
                // Until the JIT has compiled the per-request and per-token paths of both processes, the compiler
                // threads take a third of the CPU: measure the steady state a running server is in, not start-up.
                List<String> ids = conversations.subList(0, warmupRound);
                long w0 = System.nanoTime();
                int errorsC = 0;
                int errorsD = 0;
                for (int done = 0; done < settings.warmup; done += warmupRound) {
                    int n = Math.min(warmupRound, settings.warmup - done);
                    PhaseResult wd = phase(n, k -> directChat(k), corral.pid());
                    PhaseResult wc = phase(n, k -> corralChat(api, ids.get(k)), corral.pid());
                    errorsC += wc.errors;
                    errorsD += wd.errors;
                    if (wc.errors > 0 || wd.errors > 0) {
                        printErrors("warm-up via Corral", wc);
                        printErrors("warm-up direct", wd);
                    }
                }
                System.out.printf(Locale.ROOT, "  warm-up (%d chats each way in rounds of %d, not counted): errors "
                        + "%d / %d, %.1f s%n", settings.warmup, warmupRound, errorsC, errorsD,
                        (System.nanoTime() - w0) / 1e9);
            }
            quiet(corral.pid());
            long idleRss = rssKb(corral.pid());
            System.out.printf(Locale.ROOT, "  idle RSS before the first level: %d MB%n", idleRss / 1024);
            List<LevelResult> results = new ArrayList<>();
            for (int level : settings.levels) {
                List<String> ids = conversations.subList(next, next + level);
                next += level;
                RssSampler sampler = new RssSampler(corral.pid());
                sampler.start();
                PhaseResult direct;
                PhaseResult relayed;
                try {
                    direct = phase(level, k -> directChat(k), corral.pid());
                    quiet(corral.pid());
                    relayed = phase(level, k -> corralChat(api, ids.get(k)), corral.pid());
                } finally {
                    sampler.stop();
                }
                results.add(new LevelResult(level, direct, relayed, sampler.peakKb()));
                System.out.printf(Locale.ROOT, "  level %d done (direct %.1f s, via Corral %.1f s)%n", level,
                        direct.wallS, relayed.wallS);
                if (settings.detail) {
                    printDetail("direct", direct);
                    printDetail("via Corral", relayed);
                }
                quiet(corral.pid());
                if (!corral.isAlive()) {
                    System.out.println("  Corral exited (status " + corral.exitValue() + "); see " + log);
                    break;
                }
            }
            printTable(javaOpts, idleRss, results);
            boolean targetsMet = printTargets(results);
            boolean anyErrors = false;
            for (LevelResult r : results) {
                if (r.corral.errors > 0 || r.direct.errors > 0) {
                    anyErrors = true;
                    printErrors(r.level + " chats via Corral", r.corral);
                    printErrors(r.level + " chats direct", r.direct);
                }
            }
            if (anyErrors || !targetsMet) {
                printLogDigest(log);
            }
            failed = anyErrors || !targetsMet;
            return settings.strict && failed ? 3 : 0;
        } catch (Exception e) {
            System.out.println("  benchmark run failed: " + e);
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                System.out.println("    caused by: " + c);
            }
            StackTraceElement[] where = e.getStackTrace();
            for (int k = 0; k < Math.min(where.length, 6); k++) {
                System.out.println("    at " + where[k]);
            }
            printLogDigest(log);
            return 1;
        } finally {
            stop(corral);
            if (failed || settings.keep) {
                System.out.println("  kept " + dir + " (corral.log, data/)");
            } else {
                deleteTree(dir);
            }
        }
    }

    // ------------------------------------------------------------------------------------------ phases
    interface ChatRun {
        void run(Chat chat, Set<Closeable> open) throws Exception;
    }

    interface ChatFactory {
        ChatRun get(int index);
    }

    /**
     * Runs {@code n} chats at once, bounded by the phase timeout: all released together, or with --ramp-ms the k-th
     * of them k/(n-1) of the ramp later (the same schedule for both sides of the comparison).
     */
    private PhaseResult phase(int n, ChatFactory factory, long corralPid) throws InterruptedException {
        long rampNanos = settings.rampMs * 1_000_000L;
        AtomicLong released = new AtomicLong();
        Chat[] chats = new Chat[n];
        Set<Closeable> open = ConcurrentHashMap.newKeySet();
        CountDownLatch ready = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(n);
        List<Thread> threads = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            Chat chat = new Chat(settings.tokens + 16);
            chats[k] = chat;
            ChatRun run = factory.get(k);
            long offset = n <= 1 ? 0 : rampNanos * k / (n - 1);
            threads.add(Thread.ofVirtual().name("chat-" + k).start(() -> {
                try {
                    ready.countDown();
                    go.await();
                    long wait = released.get() + offset - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(Duration.ofNanos(wait));
                    }
                    chat.start = System.nanoTime();
                    run.run(chat, open);
                } catch (Throwable e) {
                    if (chat.error == null) {
                        chat.error = "exception " + e.getClass().getSimpleName()
                                + (e.getMessage() == null ? "" : ": " + abbreviate(e.getMessage()));
                    }
                } finally {
                    if (chat.error != null) {
                        chat.error += " " + when(System.nanoTime() - chat.start);
                    }
                    finished.countDown();
                }
            }));
        }
        ready.await(30, TimeUnit.SECONDS);
        long cpu0 = cpuNanos(corralPid);
        long bench0 = ownCpuNanos();
        long machine0 = machineBusyNanos();
        long t0 = System.nanoTime();
        released.set(t0);
        go.countDown();
        boolean all = finished.await(settings.phaseTimeoutS, TimeUnit.SECONDS);
        long wall = System.nanoTime() - t0;
        if (!all) {
            for (Closeable request : open) {
                try {
                    request.close();
                } catch (IOException ignored) {
                    // closing only to unblock the reader
                }
            }
            threads.forEach(Thread::interrupt);
            finished.await(10, TimeUnit.SECONDS);
        }
        double corralCpu = (cpuNanos(corralPid) - cpu0) / 1e9;
        double benchCpu = (ownCpuNanos() - bench0) / 1e9;
        double otherCpu = Math.max(0, (machineBusyNanos() - machine0) / 1e9 - corralCpu - benchCpu);
        int errors = 0;
        Map<String, Integer> kinds = new TreeMap<>();
        long[] ttft = new long[n];
        int ttftCount = 0;
        long[] headers = new long[n];
        int headerCount = 0;
        long pieces = 0;
        int ok = 0;
        List<long[]> gapLists = new ArrayList<>();
        int gapTotal = 0;
        for (Chat c : chats) {
            String error = c.error;
            if (error == null && !all && c.count < settings.tokens) {
                error = "timeout";
            }
            if (error == null && !c.text.toString().equals(expectedText)) {
                error = "wrong text (" + c.text.length() + " of " + expectedText.length() + " chars)";
            }
            if (error != null) {
                errors++;
                kinds.merge(error, 1, Integer::sum);
                continue;
            }
            ok++;
            pieces += c.count;
            if (c.headers > 0) {
                headers[headerCount++] = c.headers - c.start;
            }
            if (c.count > 0) {
                ttft[ttftCount++] = c.arrivals[0] - c.start;
                long[] gaps = new long[Math.max(0, c.count - 1)];
                for (int k = 1; k < c.count; k++) {
                    gaps[k - 1] = c.arrivals[k] - c.arrivals[k - 1];
                }
                gapLists.add(gaps);
                gapTotal += gaps.length;
            }
        }
        // For a timeline of the gaps (bench/README.md): one line per gap, arrival since the release and length, in us.
        String dump = System.getenv("BENCH_GAPS_FILE");
        if (dump != null) {
            try (var w = new java.io.PrintWriter(new java.io.FileWriter(dump, true))) {
                w.println("# phase chats=" + n);
                for (Chat c : chats) {
                    for (int k = 1; k < c.count; k++) {
                        w.println((c.arrivals[k] - t0) / 1000 + " " + (c.arrivals[k] - c.arrivals[k - 1]) / 1000);
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        long[] allGaps = new long[gapTotal];
        int pos = 0;
        for (long[] g : gapLists) {
            System.arraycopy(g, 0, allGaps, pos, g.length);
            pos += g.length;
        }
        long[] ttftSorted = Arrays.copyOf(ttft, ttftCount);
        Arrays.sort(ttftSorted);
        Arrays.sort(allGaps);
        long[] headersSorted = Arrays.copyOf(headers, headerCount);
        Arrays.sort(headersSorted);
        return new PhaseResult(n, errors, kinds, ttftSorted, allGaps, headersSorted,
                ok == 0 ? 0 : (double) pieces / ok, wall / 1e9, corralCpu, benchCpu, otherCpu);
    }

    /** The baseline: POST /api/chat to the stand-in, one arrival per NDJSON content line. */
    private ChatRun directChat(int index) {
        String body = "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Benchmark question "
                + index + "\"}],\"stream\":true}";
        URI base = URI.create(ollama.baseUrl());
        return (chat, open) -> {
            try (StreamingRequest response = StreamingRequest.post(base, "/api/chat",
                    Map.of("Content-Type", "application/json", "Accept", "application/x-ndjson"), body)) {
                chat.headers = System.nanoTime();
                open.add(response);
                try {
                    if (response.status != 200) {
                        chat.error = "HTTP " + response.status;
                        return;
                    }
                    boolean[] done = new boolean[1];
                    response.readLines((line, now) -> {
                        if (line.isEmpty()) {
                            return false;
                        }
                        String content = jsonStringAfter(line, "\"content\":\"");
                        if (content != null && !content.isEmpty()) {
                            chat.arrived(now);
                            chat.text.append(content);
                        }
                        if (line.contains("\"error\":")) {
                            chat.error = "error line";
                            return true;
                        }
                        return done[0] = line.contains("\"done\":true");
                    });
                    if (chat.error == null && !done[0]) {
                        chat.error = "missing done";
                    }
                } finally {
                    open.remove(response);
                }
            }
        };
    }

    /** Through Corral: POST …/messages, one arrival per SSE delta event; done must say complete. */
    private ChatRun corralChat(Corral api, String conversationId) {
        String body = "{\"content\":\"Benchmark question for " + conversationId + "\"}";
        String path = "/api/conversations/" + conversationId + "/messages";
        return (chat, open) -> {
            try (StreamingRequest response = StreamingRequest.post(api.base, path, Map.of("Cookie", api.cookies,
                    "X-XSRF-TOKEN", api.csrf, "Content-Type", "application/json", "Accept", "text/event-stream"),
                    body)) {
                chat.headers = System.nanoTime();
                open.add(response);
                try {
                    if (response.status != 200) {
                        chat.error = "HTTP " + response.status + " " + abbreviate(response.readAtMost(300));
                        return;
                    }
                    String[] event = new String[1];
                    boolean[] done = new boolean[1];
                    response.readLines((line, now) -> {
                        if (line.startsWith("event: ")) {
                            event[0] = line.substring(7);
                        } else if (line.startsWith("data: ")) {
                            if ("delta".equals(event[0])) {
                                String content = jsonStringAfter(line, "\"content\":\"");
                                if (content != null && !content.isEmpty()) {
                                    chat.arrived(now);
                                    chat.text.append(content);
                                }
                            } else if ("done".equals(event[0])) {
                                JsonNode message = JSON.readTree(line.substring(6)).path("message");
                                String status = message.path("status").asString("");
                                if (!status.equals("complete")) {
                                    JsonNode err = message.path("error");
                                    chat.error = "done with status " + status
                                            + (err.isObject() ? " (" + err.path("code").asString("") + ": "
                                            + abbreviate(err.path("message").asString("")) + ")" : "");
                                } else if (!message.path("content").asString("").equals(expectedText)) {
                                    chat.error = "stored text differs";
                                }
                                return done[0] = true;
                            }
                        }
                        return false;
                    });
                    if (!done[0]) {
                        chat.error = "missing done";
                    }
                } finally {
                    open.remove(response);
                }
            }
        };
    }

    // ------------------------------------------------------------------------------------------ Corral API
    final class Corral {
        final URI base;
        final Process process;
        final Path log;
        volatile String cookies = "";
        volatile String csrf = "";

        Corral(URI base, Process process, Path log) {
            this.base = base;
            this.process = process;
            this.log = log;
        }

        void awaitUp(Duration limit) throws Exception {
            long deadline = System.nanoTime() + limit.toNanos();
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("Corral exited during start-up (status " + process.exitValue()
                            + ")");
                }
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/api/setup"))
                            .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) {
                        return;
                    }
                } catch (IOException e) {
                    // not listening yet
                }
                Thread.sleep(200);
            }
            throw new IllegalStateException("Corral did not answer GET /api/setup within " + limit.toSeconds() + " s");
        }

        void signIn(String username, String password) throws Exception {
            Map<String, String> jar = new LinkedHashMap<>();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/api/auth/csrf"))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            expect(r, 200, "GET /api/auth/csrf");
            takeCookies(r, jar);
            csrf = JSON.readTree(r.body()).path("token").asString();
            cookies = cookieHeader(jar);
            String body = JSON.writeValueAsString(Map.of("username", username, "password", password));
            r = http.send(authed("/api/auth/login").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            expect(r, 200, "POST /api/auth/login");
            takeCookies(r, jar);
            if (!jar.containsKey("CORRAL_SESSION")) {
                throw new IllegalStateException("sign-in set no CORRAL_SESSION cookie");
            }
            cookies = cookieHeader(jar);
            // The CSRF token may be replaced on sign-in: fetch the current one with the session.
            r = http.send(authed("/api/auth/csrf").GET().build(), HttpResponse.BodyHandlers.ofString());
            expect(r, 200, "GET /api/auth/csrf (signed in)");
            takeCookies(r, jar);
            csrf = JSON.readTree(r.body()).path("token").asString();
            cookies = cookieHeader(jar);
        }

        HttpRequest.Builder authed(String path) {
            return HttpRequest.newBuilder(base.resolve(path))
                    .header("Cookie", cookies)
                    .header("X-XSRF-TOKEN", csrf);
        }

        /**
         * Creates {@code n} conversations one after the other (setup, not measured; sequential so that SQLite write
         * contention cannot make the setup itself fail). A failed request is retried twice.
         */
        List<String> createConversations(int n, Duration limit) throws Exception {
            List<String> ids = new ArrayList<>(n);
            long deadline = System.nanoTime() + limit.toNanos();
            int failures = 0;
            while (ids.size() < n) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("creating conversations took over " + limit.toSeconds() + " s ("
                            + ids.size() + " of " + n + ")");
                }
                HttpResponse<String> r = http.send(authed("/api/conversations")
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + MODEL + "\",\"title\":\"bench "
                                + ids.size() + "\"}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 201) {
                    ids.add(JSON.readTree(r.body()).path("id").asString());
                } else if (++failures > 2) {
                    expect(r, 201, "POST /api/conversations");
                }
            }
            return ids;
        }

        private static void expect(HttpResponse<String> r, int status, String what) {
            if (r.statusCode() != status) {
                throw new IllegalStateException(what + " answered " + r.statusCode() + ": " + abbreviate(r.body()));
            }
        }

        private static void takeCookies(HttpResponse<?> r, Map<String, String> jar) {
            for (String header : r.headers().allValues("set-cookie")) {
                String pair = header.split(";", 2)[0];
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    String name = pair.substring(0, eq).trim();
                    String value = pair.substring(eq + 1).trim();
                    if (value.isEmpty()) {
                        jar.remove(name);
                    } else {
                        jar.put(name, value);
                    }
                }
            }
        }

        private static String cookieHeader(Map<String, String> jar) {
            return jar.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining("; "));
        }
    }

    // ------------------------------------------------------------------------------------------ memory and CPU
    /** Samples VmRSS of a process every 100 ms on a platform thread; keeps the peak. */
    static final class RssSampler {
        private final long pid;
        private final AtomicLong peak = new AtomicLong();
        private volatile boolean running = true;
        private Thread thread;

        RssSampler(long pid) {
            this.pid = pid;
        }

        void start() {
            peak.set(rssKb(pid));
            thread = Thread.ofPlatform().daemon().name("rss-sampler").start(() -> {
                // Bounded: at most one hour of samples even if stop() were never called.
                for (int k = 0; k < 36_000 && running; k++) {
                    long kb = rssKb(pid);
                    peak.accumulateAndGet(kb, Math::max);
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        void stop() throws InterruptedException {
            running = false;
            thread.interrupt();
            thread.join(2000);
            peak.accumulateAndGet(rssKb(pid), Math::max);
        }

        long peakKb() {
            return peak.get();
        }
    }

    static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // process gone
        }
        return 0;
    }

    /** utime + stime of a process in nanoseconds (assumes USER_HZ 100). */
    static long cpuNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** CPU time all processes on the machine spent (user, nice, system, irq, softirq, steal), in nanoseconds. */
    static long machineBusyNanos() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            long busy = 0;
            for (int k : new int[] {1, 2, 3, 6, 7, 8}) {
                busy += Long.parseLong(f[k]);
            }
            return busy * 10_000_000L;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    static long ownCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    // ------------------------------------------------------------------------------------------ output
    private void printTable(String javaOpts, long idleRssKb, List<LevelResult> results) {
        System.out.println();
        System.out.println("Corral JAVA_OPTS: " + javaOpts);
        System.out.printf(Locale.ROOT, "Idle RSS before the first level: %d MB; load average now %s%n",
                idleRssKb / 1024, loadAverage());
        System.out.println("Times in ms. D = direct to the stand-in (baseline), C = via Corral, + = C - D.");
        System.out.println("gap = time between consecutive pieces of text at the client (NDJSON token lines / SSE "
                + "delta events).");
        System.out.println("Corral merges tokens into one delta when a listener is behind, so its gaps are measured "
                + "on what the browser receives; deltas/ans shows how much merging happened.");
        String header = String.format(Locale.ROOT, "%6s | %9s | %-22s | %-22s | %-22s | %-10s | %-16s | %s",
                "chats", "errors", "TTFT p50  D / C / +", "TTFT p99  D / C / +", "gap p99  D / C / +",
                "deltas/ans", "CPU s Co/Be/Ot", "Corral peak RSS MB");
        System.out.println(header);
        System.out.println("-".repeat(header.length()));
        for (LevelResult r : results) {
            System.out.printf(Locale.ROOT, "%6d | %4d/%-4d | %s | %s | %s | %4.0f/%-5.0f | %4.1f/%4.1f/%-5.1f | %d%n",
                    r.level, r.corral.errors, r.direct.errors,
                    triple(ms(pct(r.direct.ttft, 50)), ms(pct(r.corral.ttft, 50))),
                    triple(ms(pct(r.direct.ttft, 99)), ms(pct(r.corral.ttft, 99))),
                    triple(ms(pct(r.direct.gaps, 99)), ms(pct(r.corral.gaps, 99))),
                    r.corral.piecesPerAnswer, r.direct.piecesPerAnswer,
                    r.corral.corralCpuS, r.corral.benchCpuS, r.corral.otherCpuS,
                    r.peakRssKb / 1024);
        }
        System.out.println("errors = via Corral / direct. deltas/ans = SSE deltas (Corral) / NDJSON tokens (direct) per "
                + "answer. CPU s = during the via-Corral phase: Corral / this bench (load generator + stand-in) / "
                + "other processes on the machine.");
    }

    private static void printDetail(String what, PhaseResult r) {
        System.out.printf(Locale.ROOT, "    %-10s headers ms p50 %7.1f  p90 %7.1f  p99 %7.1f  max %7.1f   (Corral: headers come with "
                        + "the start event, after the turn is stored)%n", what,
                ms(pct(r.headers, 50)), ms(pct(r.headers, 90)), ms(pct(r.headers, 99)), ms(pct(r.headers, 100)));
        System.out.printf(Locale.ROOT, "    %-10s TTFT ms  p50 %7.1f  p90 %7.1f  p99 %7.1f  max %7.1f%n", what,
                ms(pct(r.ttft, 50)), ms(pct(r.ttft, 90)), ms(pct(r.ttft, 99)), ms(pct(r.ttft, 100)));
        System.out.printf(Locale.ROOT, "    %-10s gap ms   p50 %7.1f  p90 %7.1f  p99 %7.1f  p99.9 %7.1f  max %7.1f"
                        + "  (%d gaps)%n", what, ms(pct(r.gaps, 50)), ms(pct(r.gaps, 90)), ms(pct(r.gaps, 99)),
                ms(pct(r.gaps, 99.9)), ms(pct(r.gaps, 100)), r.gaps.length);
        System.out.printf(Locale.ROOT, "    %-10s wall %.1f s; CPU s: Corral %.1f, bench %.1f, other processes %.1f%n",
                what, r.wallS, r.corralCpuS, r.benchCpuS, r.otherCpuS);
    }

    private static String triple(double d, double c) {
        return String.format(Locale.ROOT, "%6.1f/%6.1f/%+7.1f", d, c, c - d);
    }

    private boolean printTargets(List<LevelResult> results) {
        LevelResult top = results.stream().max(Comparator.comparingInt(LevelResult::level)).orElse(null);
        if (top == null) {
            return false;
        }
        double added = ms(pct(top.corral.gaps, 99)) - ms(pct(top.direct.gaps, 99));
        boolean errorsOk = top.corral.errors == 0 && top.corral.ttft.length == top.level;
        boolean gapOk = added < 10.0 && top.corral.gaps.length > 0;
        boolean rssOk = top.peakRssKb < 512L * 1024;
        System.out.printf(Locale.ROOT, "Targets at %d concurrent chats%s:%n", top.level,
                top.level == 1000 ? "" : " (the issue's targets are for 1,000)");
        System.out.printf(Locale.ROOT, "  %s  zero errors via Corral (%d)%n", mark(errorsOk), top.corral.errors);
        System.out.printf(Locale.ROOT, "  %s  added p99 inter-token delay < 10 ms (%+.1f ms)%n", mark(gapOk), added);
        System.out.printf(Locale.ROOT, "  %s  Corral resident memory < 512 MB (peak %d MB)%n", mark(rssOk),
                top.peakRssKb / 1024);
        return errorsOk && gapOk && rssOk;
    }

    private static String mark(boolean ok) {
        return ok ? "PASS" : "FAIL";
    }

    private static void printErrors(String what, PhaseResult r) {
        if (r.errors == 0) {
            return;
        }
        System.out.println("  errors " + what + ":");
        r.errorKinds.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(8)
                .forEach(e -> System.out.printf(Locale.ROOT, "    %5d x %s%n", e.getValue(), e.getKey()));
    }

    /** The WARN/ERROR lines of Corral's log (first ones, deduplicated), to say where errors come from. */
    private static void printLogDigest(Path log) {
        System.out.println("  Corral log: " + log);
        try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
            Map<String, Integer> seen = new LinkedHashMap<>();
            lines.filter(l -> l.contains(" WARN ") || l.contains(" ERROR ") || l.startsWith("Caused by")
                            || l.contains("Exception"))
                    .limit(100_000)
                    .forEach(l -> seen.merge(abbreviate(l.replaceAll("^\\S+\\s+", "")
                            .replaceAll("[0-9a-f]{8}-[0-9a-f-]{27}", "<id>")), 1, Integer::sum));
            seen.entrySet().stream().limit(15)
                    .forEach(e -> System.out.printf(Locale.ROOT, "    %5d x %s%n", e.getValue(), e.getKey()));
            if (seen.isEmpty()) {
                System.out.println("    (no WARN/ERROR lines)");
            }
        } catch (IOException | RuntimeException e) {
            System.out.println("    (cannot read the log: " + e + ")");
        }
    }

    // ------------------------------------------------------------------------------------------ helpers
    static double ms(long nanos) {
        return nanos / 1e6;
    }

    /** Nearest-rank percentile of a sorted array; 0 when empty. */
    static long pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
    }

    /** The JSON string value that starts right after {@code marker} (which ends with the opening quote). */
    static String jsonStringAfter(String line, String marker) {
        int i = line.indexOf(marker);
        if (i < 0) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (int k = i + marker.length(); k < line.length(); k++) {
            char c = line.charAt(k);
            if (c == '"') {
                return sb.toString();
            }
            if (c == '\\' && k + 1 < line.length()) {
                char e = line.charAt(++k);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> {
                        if (k + 4 < line.length()) {
                            sb.append((char) Integer.parseInt(line.substring(k + 1, k + 5), 16));
                            k += 4;
                        }
                    }
                    default -> sb.append(e);
                }
            } else {
                sb.append(c);
            }
        }
        return null;
    }

    /** A coarse bucket for when an error happened, so that errors group by cause and time. */
    static String when(long nanos) {
        double s = nanos / 1e9;
        return s < 1 ? "[<1 s]" : s < 5 ? "[1-5 s]" : s < 14 ? "[5-14 s]" : s < 16 ? "[14-16 s]"
                : s < 29 ? "[16-29 s]" : s < 31 ? "[29-31 s]" : "[>31 s]";
    }

    static String abbreviate(String s) {
        s = s.replaceAll("\\s+", " ").strip();
        return s.length() > 160 ? s.substring(0, 160) + "…" : s;
    }

    /** Lets the last phase's stragglers (socket closes, DB writes, GC) settle before the next measurement. */
    /**
     * Waits until Corral is idle (under 20 ms of CPU in half a second, at most 60 s): after a burst its JIT compiler
     * threads may still work through their queue, and that would be measured as part of the next phase.
     */
    private static void quiet(long corralPid) throws InterruptedException {
        System.gc();
        Thread.sleep(500);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long before = cpuNanos(corralPid);
        while (System.nanoTime() < deadline) {
            Thread.sleep(500);
            long now = cpuNanos(corralPid);
            if (now - before < TimeUnit.MILLISECONDS.toNanos(20)) {
                return;
            }
            before = now;
        }
        System.out.println("  (Corral was still busy after 60 s of waiting for it to go idle)");
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void stop(Process p) {
        if (!p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(40, TimeUnit.SECONDS)) {
                System.out.println("  Corral did not stop within 40 s of SIGTERM; killing it");
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
