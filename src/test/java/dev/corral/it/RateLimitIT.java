package dev.corral.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import tools.jackson.databind.JsonNode;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.IntegrationTest;
import dev.corral.testsupport.Prometheus;
import dev.corral.testsupport.SeparateCorral;
import dev.corral.testsupport.SharedStandIn;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rate limits and the sign-in lock-out on a Corral of their own with small limits: sign-in 3/min, chat 2/min,
 * health 5/min, an 8 s base lock-out. 127.0.0.2 is the trusted proxy; every test signs in "through" it with client
 * addresses of its own (X-Forwarded-For), so that tests do not share the per-IP sign-in budget.
 */
class RateLimitIT {

    @TempDir
    static Path dataDir;
    @TempDir
    static Path logDir;

    private static SeparateCorral corral;
    private static final AtomicInteger nextClient = new AtomicInteger(1);

    @BeforeAll
    static void start() {
        corral = SeparateCorral.start(dataDir,
                "--corral.logging.dir=" + logDir,
                "--corral.trusted-proxies=127.0.0.2",
                "--corral.rate-limit.sign-in-per-minute=3",
                "--corral.rate-limit.chat-per-minute=2",
                "--corral.rate-limit.api-per-minute=1000",
                "--corral.rate-limit.health-per-minute=5",
                "--corral.sign-in-lockout.base=8s");
    }

    @AfterAll
    static void stop() {
        if (corral != null) {
            corral.close();
        }
    }

    @BeforeEach
    void resetOllama() {
        SharedStandIn.get().reset();
    }

    /** A client behind the trusted proxy with an address of its own. */
    private static ApiClient viaProxy(String clientIp) {
        return new ApiClient(corral.baseUrl(), address("127.0.0.2")).withHeader("X-Forwarded-For", clientIp);
    }

    private static ApiClient viaProxy() {
        int n = nextClient.getAndIncrement();
        return viaProxy("198.18." + (n / 250) + "." + (n % 250 + 1));
    }

    private static ApiClient admin() {
        ApiClient admin = viaProxy();
        assertThat(admin.signIn(IntegrationTest.ADMIN, IntegrationTest.ADMIN_PASSWORD).status()).isEqualTo(200);
        return admin;
    }

    /** Creates an account; returns its id. */
    private static String createUser(String name) {
        ApiClient.Response created = admin().post("/api/admin/users",
                Map.of("username", name, "password", IntegrationTest.PASSWORD));
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        return created.body().path("id").asString();
    }

    private static ApiClient signedIn(String name) {
        ApiClient client = viaProxy();
        assertThat(client.signIn(name, IntegrationTest.PASSWORD).status()).isEqualTo(200);
        return client;
    }

    private static String newName() {
        return "r" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static InetAddress address(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void assertRateLimited(ApiClient.Response response, String limit) {
        assertThat(response.status()).as(response.raw()).isEqualTo(429);
        assertThat(response.errorCode()).isEqualTo("rate_limited");
        assertThat(response.body().path("error").path("message").asString()).isNotBlank();
        assertThat(response.header("RateLimit-Limit")).isEqualTo(limit);
        assertThat(response.header("RateLimit-Remaining")).isEqualTo("0");
        assertThat(Long.parseLong(response.header("RateLimit-Reset"))).isBetween(1L, 60L);
        assertThat(Long.parseLong(response.header("Retry-After"))).isBetween(1L, 60L);
    }

    @Test
    void signInIsLimitedPerClientIpWithHeadersAndAJsonError() {
        ApiClient guesser = viaProxy("203.0.113.10");
        guesser.ensureCsrfCookie();
        for (int i = 0; i < 3; i++) {
            ApiClient.Response refused = guesser.post("/api/auth/login",
                    Map.of("username", "nobody-" + i, "password", "wrong-password-" + i));
            assertThat(refused.errorCode()).isEqualTo("invalid_credentials");
            assertThat(refused.header("RateLimit-Limit")).isEqualTo("3");
            assertThat(refused.header("RateLimit-Remaining")).isEqualTo(Integer.toString(2 - i));
            assertThat(refused.header("RateLimit-Reset")).isNotNull();
            assertThat(refused.header("Retry-After")).isNull();
        }
        ApiClient.Response limited = guesser.post("/api/auth/login",
                Map.of("username", IntegrationTest.ADMIN, "password", IntegrationTest.ADMIN_PASSWORD));
        // Even the right password: the limit comes before any credential is looked at.
        assertRateLimited(limited, "3");
        assertThat(guesser.post("/api/setup", Map.of("username", "x", "password", "y")).status()).isEqualTo(429);
        // A path parameter does not make the request another class.
        assertThat(guesser.post("/api/auth/login;x=1", Map.of("username", "x", "password", "y")).status())
                .isEqualTo(429);

        // Another client behind the same trusted proxy has its own budget.
        ApiClient other = viaProxy("203.0.113.11");
        assertThat(other.signIn(IntegrationTest.ADMIN, IntegrationTest.ADMIN_PASSWORD).status()).isEqualTo(200);

        // The refusals are audited with the client's address, once per client and minute however many there were.
        ApiClient.Response audited = admin().get("/api/admin/audit?action=rate_limited&limit=200");
        assertThat(audited.status()).as(audited.raw()).isEqualTo(200);
        List<JsonNode> fromGuesser = audited.body().path("items").valueStream()
                .filter(entry -> entry.path("ip").asString().equals("203.0.113.10")).toList();
        assertThat(fromGuesser).hasSize(1);
        assertThat(fromGuesser.getFirst().path("outcome").asString()).isEqualTo("failure");
        assertThat(fromGuesser.getFirst().path("detail").asString()).contains("sign_in limit 3/min");

        // The refusals are counted by endpoint class.
        ApiClient.Response scraped = admin().get("/metrics");
        assertThat(scraped.status()).isEqualTo(200);
        assertThat(new Prometheus(scraped.raw()).sum("corral_ratelimit_rejections_total", "class=\"sign_in\""))
                .isGreaterThanOrEqualTo(2);
    }

    @Test
    void forwardedForCountsOnlyFromATrustedProxy() {
        // 127.0.0.1 is not a trusted proxy here: whatever X-Forwarded-For it sends, it is one client.
        ApiClient stranger = new ApiClient(corral.baseUrl(), address("127.0.0.1"));
        stranger.ensureCsrfCookie();
        for (int i = 0; i < 3; i++) {
            ApiClient.Response refused = stranger.withHeader("X-Forwarded-For", "192.0.2." + (i + 1))
                    .post("/api/auth/login", Map.of("username", "nobody", "password", "wrong-password"));
            assertThat(refused.errorCode()).isEqualTo("invalid_credentials");
        }
        assertRateLimited(stranger.withHeader("X-Forwarded-For", "192.0.2.99")
                .post("/api/auth/login", Map.of("username", "nobody", "password", "wrong-password")), "3");

        // Through the trusted proxy, the same spread of addresses are different clients: none is limited.
        for (int i = 0; i < 5; i++) {
            ApiClient behindProxy = viaProxy("192.0.2." + (i + 1));
            assertThat(behindProxy.signIn("nobody", "wrong-password").errorCode()).isEqualTo("invalid_credentials");
        }
    }

    @Test
    void chatIsLimitedPerUserAndAllowedResponsesCarryTheHeaders() {
        String aliceName = newName();
        String bobName = newName();
        createUser(aliceName);
        createUser(bobName);
        // Both behind one address: the chat limit is per user, not per address.
        ApiClient alice = viaProxy("203.0.113.20");
        assertThat(alice.signIn(aliceName, IntegrationTest.PASSWORD).status()).isEqualTo(200);
        ApiClient bob = viaProxy("203.0.113.21");
        assertThat(bob.signIn(bobName, IntegrationTest.PASSWORD).status()).isEqualTo(200);

        ApiClient.Response me = alice.get("/api/me");
        assertThat(me.status()).isEqualTo(200);
        assertThat(me.header("RateLimit-Limit")).isEqualTo("1000");
        assertThat(me.header("RateLimit-Remaining")).isNotNull();
        assertThat(me.header("RateLimit-Reset")).isNotNull();

        String conversation = createConversation(alice);
        for (int i = 0; i < 2; i++) {
            try (ApiClient.EventStream events = alice.stream("/api/conversations/" + conversation + "/messages",
                    Map.of("content", "hello " + i))) {
                assertThat(events.status()).isEqualTo(200);
                assertThat(events.header("RateLimit-Limit")).isEqualTo("2");
                assertThat(events.header("RateLimit-Remaining")).isEqualTo(Integer.toString(1 - i));
                assertThat(events.until("done", Duration.ofSeconds(30))).isNotNull();
            }
        }
        try (ApiClient.EventStream refused = alice.stream("/api/conversations/" + conversation + "/messages",
                Map.of("content", "one too many"))) {
            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.header("Retry-After")).isNotNull();
            assertThat(refused.header("RateLimit-Remaining")).isEqualTo("0");
            assertThat(refused.errorBody().path("error").path("code").asString()).isEqualTo("rate_limited");
        }
        // Nothing was stored for the refused message.
        assertThat(alice.get("/api/conversations/" + conversation).raw()).doesNotContain("one too many");
        // Other API calls have their own budget.
        assertThat(alice.get("/api/conversations").status()).isEqualTo(200);

        // Bob, same proxy, own budget.
        String bobs = createConversation(bob);
        try (ApiClient.EventStream events = bob.stream("/api/conversations/" + bobs + "/messages",
                Map.of("content", "hi"))) {
            assertThat(events.status()).isEqualTo(200);
            events.until("done", Duration.ofSeconds(30));
        }
    }

    @Test
    void anAdminRaisesOneUsersLimit() {
        String name = newName();
        String id = createUser(name);
        ApiClient admin = admin();
        assertThat(admin.patch("/api/admin/users/" + id, Map.of("rateLimitMultiplier", 0)).errorCode())
                .isEqualTo("validation_failed");
        assertThat(admin.patch("/api/admin/users/" + id, Map.of("rateLimitMultiplier", 101)).errorCode())
                .isEqualTo("validation_failed");
        ApiClient.Response raised = admin.patch("/api/admin/users/" + id, Map.of("rateLimitMultiplier", 3));
        assertThat(raised.status()).as(raised.raw()).isEqualTo(200);
        assertThat(raised.body().path("rateLimitMultiplier").asInt()).isEqualTo(3);
        assertThat(raised.body().path("enabled").asBoolean()).isTrue();

        ApiClient user = signedIn(name);
        String conversation = createConversation(user);
        for (int i = 0; i < 6; i++) {
            try (ApiClient.EventStream events = user.stream("/api/conversations/" + conversation + "/messages",
                    Map.of("content", "hello " + i))) {
                assertThat(events.status()).as("chat %d of 6", i + 1).isEqualTo(200);
                assertThat(events.header("RateLimit-Limit")).isEqualTo("6");
                events.until("done", Duration.ofSeconds(30));
            }
        }
        try (ApiClient.EventStream refused = user.stream("/api/conversations/" + conversation + "/messages",
                Map.of("content", "seventh"))) {
            assertThat(refused.status()).isEqualTo(429);
        }
        // 1 puts the user back on the configured limits.
        ApiClient.Response reset = admin.patch("/api/admin/users/" + id, Map.of("rateLimitMultiplier", 1));
        assertThat(reset.body().path("rateLimitMultiplier").isNull()).isTrue();
    }

    @Test
    void fiveFailuresLockTheAccountWithTheWrongPasswordAnswerUntilItExpires() throws IOException {
        String name = newName();
        createUser(name);
        String unknownUser = viaProxy().signIn("nobody-" + name, IntegrationTest.PASSWORD).raw();
        String wrongPassword = null;
        // Each guess from another address: the lock-out is per account, whatever the address.
        for (int i = 0; i < 5; i++) {
            ApiClient.Response failed = viaProxy().signIn(name, "wrong-password-" + i);
            assertThat(failed.status()).isEqualTo(401);
            wrongPassword = failed.raw();
        }
        assertThat(wrongPassword).isEqualTo(unknownUser);

        // Locked: the right password gets exactly the wrong password's answer.
        ApiClient.Response locked = viaProxy().signIn(name, IntegrationTest.PASSWORD);
        assertThat(locked.status()).isEqualTo(401);
        assertThat(locked.raw()).isEqualTo(wrongPassword);

        String appLog = Files.readString(logDir.resolve("app.log"));
        assertThat(appLog).contains("sign_in_lockout").contains(name).doesNotContain("wrong-password-4");

        // The lock expires (8 s): then the right password works and the count starts again.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        int status;
        do {
            sleep(500);
            status = viaProxy().signIn(name, IntegrationTest.PASSWORD).status();
        } while (status != 200 && System.nanoTime() < deadline);
        assertThat(status).isEqualTo(200);
        for (int i = 0; i < 4; i++) {
            assertThat(viaProxy().signIn(name, "wrong-again-" + i).status()).isEqualTo(401);
        }
        assertThat(viaProxy().signIn(name, IntegrationTest.PASSWORD).status()).isEqualTo(200);
    }

    @Test
    void healthIsLimitedPerClientIp() {
        ApiClient prober = viaProxy("203.0.113.40");
        for (int i = 0; i < 5; i++) {
            ApiClient.Response health = prober.get("/health");
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.header("RateLimit-Limit")).isEqualTo("5");
        }
        assertRateLimited(prober.get("/health/live"), "5");
        assertThat(viaProxy("203.0.113.41").get("/health").status()).isEqualTo(200);
    }

    private static String createConversation(ApiClient client) {
        ApiClient.Response created = client.post("/api/conversations", Map.of("model", "llama3.2:latest"));
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        return created.body().path("id").asString();
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
