package dev.corral.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Corral running on a random port against SQLite in a temporary data directory and the stand-in Ollama, with an
 * admin account created from the CORRAL_ADMIN_* settings. Test classes share one running Corral.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class IntegrationTest {

    public static final String ADMIN = "admin";
    public static final String ADMIN_PASSWORD = "admin-password-1";
    public static final String PASSWORD = "user-password-1";

    protected static final StandInOllama OLLAMA = SharedStandIn.get();
    private static final Path DATA_DIR = tempDir();

    @LocalServerPort
    protected int port;

    @DynamicPropertySource
    static void corralSettings(DynamicPropertyRegistry registry) {
        registry.add("corral.data-dir", DATA_DIR::toString);
        registry.add("corral.ollama.base-url", OLLAMA::baseUrl);
        registry.add("corral.ollama.busy-backoff", () -> "50ms");
        registry.add("corral.admin.username", () -> ADMIN);
        registry.add("corral.admin.password", () -> ADMIN_PASSWORD);
        // The shared Corral serves many tests signing in from 127.0.0.1 quickly: limits far above what they need
        // (RateLimitIT checks the limits on a Corral of its own).
        GENEROUS_RATE_LIMITS.forEach((name, value) -> registry.add(name, () -> value));
        // When the test JVM exits, answers a test left running do not hold it for the default 30 s.
        registry.add("corral.chat.shutdown-grace", () -> "1s");
        // Keep-alive comments every second instead of every 15 s, so that a test can see them.
        registry.add("corral.chat.keep-alive-interval", () -> "1s");
    }

    /** Rate limits no test suite reaches, for Corrals that are not about rate limits. */
    public static final Map<String, String> GENEROUS_RATE_LIMITS = Map.of(
            "corral.rate-limit.sign-in-per-minute", "100000",
            "corral.rate-limit.chat-per-minute", "100000",
            "corral.rate-limit.api-per-minute", "1000000",
            "corral.rate-limit.health-per-minute", "1000000");

    @BeforeEach
    void resetOllama() {
        OLLAMA.reset();
    }

    protected String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    protected ApiClient anonymous() {
        return new ApiClient(baseUrl());
    }

    protected ApiClient admin() {
        ApiClient admin = anonymous();
        assertThat(admin.signIn(ADMIN, ADMIN_PASSWORD).status()).isEqualTo(200);
        return admin;
    }

    /** A new account (created by the admin) and a client signed in as it. */
    protected ApiClient newUser() {
        String name = "u" + UUID.randomUUID().toString().substring(0, 8);
        ApiClient.Response created = admin().post("/api/admin/users", Map.of("username", name, "password", PASSWORD));
        assertThat(created.status()).isEqualTo(201);
        ApiClient user = anonymous();
        assertThat(user.signIn(name, PASSWORD).status()).isEqualTo(200);
        return user;
    }

    protected static String createConversation(ApiClient client, Map<String, Object> settings) {
        ApiClient.Response created = client.post("/api/conversations", settings);
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        return created.body().path("id").asString();
    }

    protected static String createConversation(ApiClient client) {
        return createConversation(client, Map.of("model", "llama3.2:latest"));
    }

    protected static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out waiting: " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    protected static Path tempDir() {
        try {
            Path dir = Files.createTempDirectory("corral-it-");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
