package dev.corral.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Corral as a real operating-system process ({@code java -cp <test class path> dev.corral.CorralApplication}), for
 * what only a process shows: signals, exit codes, console output. Settings are passed as environment variables,
 * as an operator would.
 */
public final class CorralProcess implements AutoCloseable {

    private final Process process;
    private final Path output;
    private final int port;

    private CorralProcess(Process process, Path output, int port) {
        this.process = process;
        this.output = output;
        this.port = port;
    }

    /** Starts Corral with these environment variables (PORT is chosen here) and does not wait for it. */
    public static CorralProcess launch(Path workDir, Map<String, String> environment) {
        try {
            int port = freePort();
            Path output = Files.createTempFile(workDir, "corral-process-", ".log");
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"), "dev.corral.CorralApplication"));
            ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
                    .redirectErrorStream(true).redirectOutput(output.toFile());
            builder.environment().put("PORT", Integer.toString(port));
            builder.environment().put("BIND_ADDRESS", "127.0.0.1");
            builder.environment().putAll(environment);
            return new CorralProcess(builder.start(), output, port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts Corral and waits until it answers HTTP. */
    public static CorralProcess start(Path workDir, Map<String, String> environment, Duration timeout) {
        CorralProcess corral = launch(workDir, environment);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!corral.process.isAlive()) {
                throw new AssertionError("Corral exited with " + corral.process.exitValue() + ":\n" + corral.output());
            }
            try {
                if (new ApiClient(corral.baseUrl()).get("/api/setup").status() == 200) {
                    return corral;
                }
            } catch (RuntimeException notYet) {
                // Not listening yet.
            }
            if (System.nanoTime() > deadline) {
                corral.close();
                throw new AssertionError("Corral did not start within " + timeout + ":\n" + corral.output());
            }
            sleep(200);
        }
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Sends SIGTERM (what {@link Process#destroy()} does on Linux and macOS). */
    public void terminate() {
        process.destroy();
    }

    /** Waits for the process to end; its exit code, or null if it is still running after {@code timeout}. */
    public Integer awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : null;
    }

    /** Everything the process wrote to stdout and stderr so far. */
    public String output() {
        try {
            return Files.readString(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + output + ": " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
