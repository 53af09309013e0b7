package dev.corral.security;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.PayloadApplicationEvent;
import org.springframework.jdbc.core.simple.JdbcClient;

import tools.jackson.databind.JsonNode;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.ApiClient.EventStream;
import dev.corral.testsupport.IntegrationTest;
import dev.corral.user.AccountSessionsRevoked;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Roles, account administration, the last-admin rule, the password policy and sign-up, through the HTTP API; what is
 * stored is checked through the API (the audit log too) where it can be, else read from the database (the rows a
 * deleted account leaves behind, the active admins while none of the test's sessions may be an admin). Runs once against SQLite and once against PostgreSQL, where the last-admin rule needs its
 * lock. Each test leaves the shared Corral as it found it: "admin" the only active admin, sign-up closed.
 */
abstract class AccountsContract extends IntegrationTest {

    /** Every AccountSessionsRevoked published, from any thread (the listener of the sessions feature will act on it). */
    private static final List<AccountSessionsRevoked> REVOKED = new CopyOnWriteArrayList<>();
    private static final ApplicationListener<PayloadApplicationEvent<?>> RECORDER = event -> {
        if (event.getPayload() instanceof AccountSessionsRevoked revoked) {
            REVOKED.add(revoked);
        }
    };

    @Autowired
    private JdbcClient jdbc;
    @Autowired
    private ConfigurableApplicationContext context;

    private final List<String> extraAdmins = new ArrayList<>();
    /** Audit entries are read from here on: those of this test (tests run one at a time). */
    private Instant testStart;
    /** The admin session that creates this test's accounts (one sign-in, not one per account). */
    private ApiClient creator;

    @BeforeEach
    void recordRevocations() {
        testStart = Instant.now();
        context.removeApplicationListener(RECORDER);
        context.addApplicationListener(RECORDER);
        REVOKED.clear();
    }

    @AfterEach
    void restoreTheSharedCorral() {
        context.removeApplicationListener(RECORDER);
        ApiClient admin = admin();
        for (String id : extraAdmins) {
            admin.delete("/api/admin/users/" + id);
        }
        admin.patch("/api/admin/settings", Map.of("signUpOpen", false));
    }

    // ------------------------------------------------------------------ roles and the last admin

    @Test
    void theLastActiveAdminCanBeNeitherDemotedNorDisabledNorDeleted() {
        ApiClient admin = admin();
        String adminId = id(admin);
        long since = System.currentTimeMillis();

        for (ApiClient.Response refused : List.of(
                admin.patch("/api/admin/users/" + adminId, Map.of("role", "user")),
                admin.patch("/api/admin/users/" + adminId, Map.of("enabled", false)),
                admin.patch("/api/admin/users/" + adminId, Map.of("role", "user", "enabled", false)),
                admin.delete("/api/admin/users/" + adminId))) {
            assertThat(refused.status()).as(refused.raw()).isEqualTo(409);
            assertThat(refused.errorCode()).isEqualTo("last_admin");
        }
        JsonNode me = admin.get("/api/me").body();
        assertThat(me.path("role").asString()).isEqualTo("admin");
        assertThat(me.path("status").asString()).isEqualTo("enabled");
        assertThat(admin.get("/api/admin/users").status()).isEqualTo(200);
        // Each refusal is audited as a failure (and nothing else was recorded).
        assertThat(audit(adminId)).filteredOn(e -> e.at() >= since)
                .extracting(AuditRow::summary).containsExactlyInAnyOrder(
                        "role_changed failure admin refused: last active admin",
                        "user_disabled failure admin refused: last active admin",
                        "role_changed failure admin refused: last active admin",
                        "user_deleted failure admin refused: last active admin");

        // With a second active admin, an admin may demote themselves: 403 on the admin API at once, same session.
        Account second = newAccount("admin");
        ApiClient secondClient = signIn(second);
        assertThat(admin.patch("/api/admin/users/" + adminId, Map.of("role", "user")).body().path("role").asString())
                .isEqualTo("user");
        assertThat(admin.get("/api/admin/users").errorCode()).isEqualTo("forbidden");
        // Now the second one is the last: refused for it too, whoever asks.
        assertThat(secondClient.delete("/api/admin/users/" + second.id).errorCode()).isEqualTo("last_admin");
        assertThat(secondClient.patch("/api/admin/users/" + second.id, Map.of("enabled", false)).errorCode())
                .isEqualTo("last_admin");
        // Promoting takes effect at once as well.
        assertThat(secondClient.patch("/api/admin/users/" + adminId, Map.of("role", "admin")).status()).isEqualTo(200);
        assertThat(admin.get("/api/admin/users").status()).isEqualTo(200);
        // An admin may delete themselves while another active admin remains.
        assertThat(secondClient.delete("/api/admin/users/" + second.id).status()).isEqualTo(204);
        assertThat(secondClient.get("/api/me").status()).isEqualTo(401);
        assertThat(audit(adminId)).filteredOn(e -> e.at() >= since).extracting(AuditRow::summary).contains(
                "role_changed success admin admin -> user",
                "role_changed success " + second.name + " user -> admin");
        assertThat(audit(second.id)).extracting(AuditRow::summary).contains(
                "user_disabled failure " + second.name + " refused: last active admin",
                "user_deleted failure " + second.name + " refused: last active admin",
                "user_deleted success " + second.name);
    }

    @Test
    void concurrentRemovalsOfTheLastTwoAdminsLeaveOne() throws Exception {
        ApiClient admin = admin();
        String adminId = id(admin);
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            for (int round = 0; round < 9; round++) {
                // Two more admins; "admin" steps down, so these two are the only active ones.
                Account x = newAccount("admin");
                Account y = newAccount("admin");
                ApiClient xClient = signIn(x);
                ApiClient yClient = signIn(y);
                assertThat(xClient.patch("/api/admin/users/" + adminId, Map.of("role", "user")).status()).isEqualTo(200);
                // Each removes the other at the same moment: demote, disable or delete.
                int kind = round % 3;
                CyclicBarrier start = new CyclicBarrier(2);
                Future<ApiClient.Response> xRemovesY = pool.submit(() -> {
                    start.await();
                    return remove(xClient, y.id, kind);
                });
                Future<ApiClient.Response> yRemovesX = pool.submit(() -> {
                    start.await();
                    return remove(yClient, x.id, kind);
                });
                List<Integer> statuses = List.of(xRemovesY.get().status(), yRemovesX.get().status());
                List<String> active = activeAdminIds();
                if (active.isEmpty()) {
                    // Put the shared Corral right for the tests after this one, then fail.
                    jdbc.sql("UPDATE users SET role = 'ADMIN', enabled = ? WHERE id = ?").params(true, adminId).update();
                }
                assertThat(active).as("round %d (%s): active admins after %s", round, kind, statuses).hasSize(1);
                // One removal won; the other was refused (409 last_admin, or 403/401 when its rights went first).
                assertThat(statuses).as("round %d", round).containsOnlyOnce(kind == 2 ? 204 : 200);
                ApiClient survivor = active.getFirst().equals(x.id) ? xClient : yClient;
                assertThat(survivor.patch("/api/admin/users/" + adminId, Map.of("role", "admin")).status())
                        .isEqualTo(200);
                for (String id : List.of(x.id, y.id)) {
                    admin.delete("/api/admin/users/" + id);
                    extraAdmins.remove(id);
                }
            }
        }
        assertThat(activeAdminIds()).containsExactly(adminId);
    }

    private static ApiClient.Response remove(ApiClient client, String id, int kind) {
        return switch (kind) {
            case 0 -> client.patch("/api/admin/users/" + id, Map.of("role", "user"));
            case 1 -> client.patch("/api/admin/users/" + id, Map.of("enabled", false));
            default -> client.delete("/api/admin/users/" + id);
        };
    }

    @Test
    void aPromotedUserReachesTheAdminApiAtOnceAndLosesItAtOnce() {
        Account bob = newAccount("user");
        ApiClient bobClient = signIn(bob);
        assertThat(bobClient.get("/api/admin/users").errorCode()).isEqualTo("forbidden");
        ApiClient admin = admin();
        ApiClient.Response promoted = admin.patch("/api/admin/users/" + bob.id, Map.of("role", "admin"));
        assertThat(promoted.body().path("role").asString()).isEqualTo("admin");
        extraAdmins.add(bob.id);
        assertThat(bobClient.get("/api/admin/users").status()).isEqualTo(200);
        assertThat(admin.patch("/api/admin/users/" + bob.id, Map.of("role", "user")).status()).isEqualTo(200);
        assertThat(bobClient.get("/api/admin/users").errorCode()).isEqualTo("forbidden");
        assertThat(audit(bob.id)).extracting(AuditRow::summary).contains(
                "user_created success admin role user",
                "role_changed success admin user -> admin",
                "role_changed success admin admin -> user");
        // The existing fields still work, alone or with a role.
        ApiClient.Response both = admin.patch("/api/admin/users/" + bob.id, Map.of("rateLimitMultiplier", 3,
                "enabled", false));
        assertThat(both.body().path("rateLimitMultiplier").asInt()).isEqualTo(3);
        assertThat(both.body().path("status").asString()).isEqualTo("disabled");
        assertThat(bobClient.get("/api/me").status()).isEqualTo(401);
        assertThat(admin.patch("/api/admin/users/" + UUID.randomUUID(), Map.of("role", "admin")).status())
                .isEqualTo(404);
        assertThat(audit(bob.id)).extracting(AuditRow::summary)
                .contains("rate_limit_changed success admin 1 -> 3", "user_disabled success admin");
        assertThat(REVOKED).contains(new AccountSessionsRevoked(bob.id, null));
    }

    // ------------------------------------------------------------------ deleting an account

    @Test
    void deletingAnAccountRemovesItsConversationsAndMessagesAndStopsItsAnswers() throws Exception {
        Account carol = newAccount("user");
        ApiClient carolClient = signIn(carol);
        String carolsKey = carolClient.post("/api/keys", Map.of("name", "tool")).body().path("secret").asString();
        ApiClient carolByKey = anonymous().withHeader("Authorization", "Bearer " + carolsKey);
        assertThat(carolByKey.get("/api/conversations").status()).isEqualTo(200);
        String kept = createConversation(carolClient);
        OLLAMA.setReply("carol's answer");
        carolClient.chat(kept, "carol's question");
        String running = createConversation(carolClient);
        OLLAMA.setTokenCount(5000);
        OLLAMA.setTokenDelay(Duration.ofMillis(20));
        ApiClient admin = admin();
        try (EventStream stream = carolClient.stream("/api/conversations/" + running + "/messages",
                Map.of("content", "a long one"))) {
            assertThat(stream.next(Duration.ofSeconds(5)).name()).isEqualTo("start");
            assertThat(countRows("conversations", carol.id)).isEqualTo(2);
            assertThat(countMessages(carol.id)).isEqualTo(4);

            assertThat(admin.delete("/api/admin/users/" + carol.id).status()).isEqualTo(204);
            // The answer being generated for her is stopped (the connection to Ollama closed).
            assertThat(OLLAMA.awaitCancelled(Duration.ofSeconds(5))).isTrue();
        }
        assertThat(countRows("conversations", carol.id)).isZero();
        assertThat(countRows("api_keys", carol.id)).isZero();
        assertThat(carolByKey.get("/api/conversations").errorCode()).isEqualTo("invalid_api_key");
        assertThat(jdbc.sql("SELECT COUNT(*) FROM messages WHERE conversation_id IN (?, ?)").params(kept, running)
                .query(Long.class).single()).isZero();
        assertThat(carolClient.get("/api/conversations/" + kept).status()).isEqualTo(401);
        assertThat(admin.get("/api/conversations/" + kept).status()).isEqualTo(404);
        assertThat(admin.get("/api/admin/users").body().path("items").findValuesAsString("id")).doesNotContain(carol.id);
        assertThat(anonymous().signIn(carol.name, PASSWORD).errorCode()).isEqualTo("invalid_credentials");
        // A new account of the same name starts empty.
        Account again = newAccount("user", carol.name);
        assertThat(signIn(again).get("/api/conversations").body().path("items")).isEmpty();
        // Her audit entries stay; the deletion is one of them.
        assertThat(audit(carol.id)).extracting(AuditRow::summary)
                .contains("user_created success admin role user", "user_deleted success admin");
        assertThat(REVOKED).contains(new AccountSessionsRevoked(carol.id, null));
        assertThat(admin.delete("/api/admin/users/" + carol.id).status()).isEqualTo(404);
    }

    // ------------------------------------------------------------------ passwords

    @Test
    void anAdminResetsAPassword() {
        Account dave = newAccount("user");
        ApiClient daveClient = signIn(dave);
        ApiClient admin = admin();
        String newPassword = "a-brand-new-secret-" + UUID.randomUUID().toString().substring(0, 6);

        assertThat(admin.post("/api/admin/users/" + dave.id + "/password", Map.of("password", newPassword)).status())
                .isEqualTo(204);
        assertThat(anonymous().signIn(dave.name, PASSWORD).errorCode()).isEqualTo("invalid_credentials");
        assertThat(anonymous().signIn(dave.name, newPassword).status()).isEqualTo(200);
        // Dave's sessions end: the event names all of them (keep none), and the session feature ends them.
        assertThat(REVOKED).containsExactly(new AccountSessionsRevoked(dave.id, null));
        assertThat(daveClient.get("/api/me").status()).isEqualTo(401);
        assertThat(audit(dave.id)).extracting(AuditRow::summary).contains("password_reset success admin");

        // The policy applies; a refused password changes nothing.
        for (String bad : List.of("short-pw", "qwerty123456789", "Password1234", "x".repeat(129))) {
            ApiClient.Response refused = admin.post("/api/admin/users/" + dave.id + "/password",
                    Map.of("password", bad));
            assertThat(refused.errorCode()).as(bad).isEqualTo("validation_failed");
            assertThat(refused.body().path("error").path("fields").has("password")).isTrue();
        }
        assertThat(anonymous().signIn(dave.name, newPassword).status()).isEqualTo(200);
        assertThat(admin.post("/api/admin/users/" + UUID.randomUUID() + "/password", Map.of("password", newPassword))
                .status()).isEqualTo(404);
        ApiClient daveAgain = anonymous();
        assertThat(daveAgain.signIn(dave.name, newPassword).status()).isEqualTo(200);
        assertThat(daveAgain.post("/api/admin/users/" + dave.id + "/password", Map.of("password", newPassword))
                .errorCode()).isEqualTo("forbidden");
    }

    @Test
    void aUserChangesTheirOwnPasswordWithTheCurrentOne() {
        Account erin = newAccount("user");
        ApiClient erinClient = signIn(erin);
        ApiClient erinElsewhere = signIn(erin);
        String erinsKey = erinClient.post("/api/keys", Map.of("name", "script")).body().path("secret").asString();
        // A leaked key cannot take the account over: 403, whatever the passwords.
        ApiClient withKey = anonymous().withHeader("Authorization", "Bearer " + erinsKey);
        ApiClient.Response byKey = withKey.post("/api/me/password",
                Map.of("currentPassword", PASSWORD, "newPassword", "taken-over-by-a-key-1"));
        assertThat(byKey.status()).as(byKey.raw()).isEqualTo(403);
        assertThat(byKey.errorCode()).isEqualTo("forbidden");
        String newPassword = "erins-new-long-secret-" + UUID.randomUUID().toString().substring(0, 6);

        ApiClient.Response wrong = erinClient.post("/api/me/password",
                Map.of("currentPassword", "not-the-password", "newPassword", newPassword));
        assertThat(wrong.status()).isEqualTo(400);
        assertThat(wrong.errorCode()).isEqualTo("wrong_password");
        assertThat(wrong.body().path("error").path("fields").path("currentPassword").asString()).isEqualTo("is wrong");
        assertThat(audit(erin.id)).extracting(AuditRow::summary)
                .contains("password_changed failure " + erin.name + " wrong current password");

        ApiClient.Response common = erinClient.post("/api/me/password",
                Map.of("currentPassword", PASSWORD, "newPassword", "IloveYou1234"));
        assertThat(common.errorCode()).isEqualTo("validation_failed");
        assertThat(common.body().path("error").path("fields").path("newPassword").asString()).contains("too common");
        ApiClient.Response tooLong = erinClient.post("/api/me/password",
                Map.of("currentPassword", PASSWORD, "newPassword", "x".repeat(129)));
        assertThat(tooLong.body().path("error").path("fields").path("newPassword").asString())
                .isEqualTo("must be 12-128 characters");
        assertThat(anonymous().signIn(erin.name, PASSWORD).status()).isEqualTo(200);
        assertThat(REVOKED).isEmpty();

        assertThat(erinClient.post("/api/me/password",
                Map.of("currentPassword", PASSWORD, "newPassword", newPassword)).status()).isEqualTo(204);
        assertThat(anonymous().signIn(erin.name, PASSWORD).errorCode()).isEqualTo("invalid_credentials");
        assertThat(anonymous().signIn(erin.name, newPassword).status()).isEqualTo(200);
        // Her other sessions are to end, this one stays.
        assertThat(REVOKED).singleElement().satisfies(revoked -> {
            assertThat(revoked.userId()).isEqualTo(erin.id);
            assertThat(revoked.keepSessionId()).isNotBlank();
        });
        assertThat(erinClient.get("/api/me").status()).isEqualTo(200);
        assertThat(erinElsewhere.get("/api/me").status()).isEqualTo(401);
        assertThat(audit(erin.id)).extracting(AuditRow::summary).contains("password_changed success " + erin.name);
        // A password of 128 characters works (bcrypt would have refused anything over 72 bytes).
        String longest = "é".repeat(100) + "x".repeat(28);
        assertThat(erinClient.post("/api/me/password",
                Map.of("currentPassword", newPassword, "newPassword", longest)).status()).isEqualTo(204);
        assertThat(anonymous().signIn(erin.name, longest).status()).isEqualTo(200);
        ApiClient nobody = anonymous();
        nobody.ensureCsrfCookie();
        assertThat(nobody.post("/api/me/password", Map.of("currentPassword", longest, "newPassword", newPassword))
                .status()).isEqualTo(401);
    }

    @Test
    void commonShortAndOversizedPasswordsAreRefusedWithNothingStored() {
        ApiClient admin = admin();
        int usersBefore = admin.get("/api/admin/users").body().path("items").size();
        long auditBefore = auditCount();
        String name = "policy" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> refusals = Map.of(
                "eleven-char", "must be 12-128 characters",
                "x".repeat(129), "must be 12-128 characters",
                "QWERTY123456", "is too common (it is on a list of leaked passwords); choose another",
                "1qaz2wsx3edc4rfv", "is too common (it is on a list of leaked passwords); choose another",
                name.toUpperCase(), "must not be the username");
        refusals.forEach((password, message) -> {
            ApiClient.Response refused = admin.post("/api/admin/users", Map.of("username", name, "password", password));
            assertThat(refused.status()).as(password).isEqualTo(400);
            assertThat(refused.errorCode()).isEqualTo("validation_failed");
            assertThat(refused.body().path("error").path("fields").path("password").asString()).as(password)
                    .isEqualTo(message);
        });
        // Malformed or oversized fields.
        List<ApiClient.Response> malformed = List.of(
                admin.post("/api/admin/users", Map.of("username", "u".repeat(33), "password", PASSWORD)),
                admin.post("/api/admin/users", Map.of("username", "bad name!", "password", PASSWORD)),
                admin.post("/api/admin/users", Map.of("username", name, "password", 123456789012L)),
                admin.post("/api/admin/users", Map.of("username", name, "password", PASSWORD, "role", "root")),
                admin.postRaw("/api/admin/users", "{\"username\":", "application/json"),
                admin.postRaw("/api/admin/users", "{\"username\":\"" + name + "\",\"password\":\"" + "y".repeat(2_000_000)
                        + "\"}", "application/json"),
                admin.patch("/api/admin/users/" + id(admin), Map.of("role", "root")),
                admin.patch("/api/admin/users/" + id(admin), Map.of("enabled", "yes")),
                admin.patch("/api/admin/settings", Map.of("signUpOpen", "yes")),
                admin.patch("/api/admin/settings", Map.of()));
        assertThat(malformed).extracting(ApiClient.Response::status).containsExactly(400, 400, 400, 400, 400, 413,
                400, 400, 400, 400);
        assertThat(malformed.get(3).body().path("error").path("fields").path("role").asString())
                .isEqualTo("must be one of: user, admin");
        assertThat(admin.get("/api/admin/users").body().path("items").size()).isEqualTo(usersBefore);
        assertThat(auditCount()).isEqualTo(auditBefore);
        assertThat(admin.get("/api/admin/settings").body().path("signUpOpen").asBoolean()).isFalse();
        assertThat(admin.get("/api/me").body().path("role").asString()).isEqualTo("admin");
    }

    // ------------------------------------------------------------------ sign-up

    @Test
    void signUpIsClosedUntilAnAdminOpensItAndNeedsApproval() {
        ApiClient stranger = anonymous();
        stranger.ensureCsrfCookie();
        String name = "s" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> signUp = Map.of("username", name, "password", PASSWORD);

        assertThat(stranger.get("/api/setup").body().path("signUpOpen").asBoolean()).isFalse();
        ApiClient.Response closed = stranger.post("/api/auth/signup", signUp);
        assertThat(closed.status()).isEqualTo(403);
        assertThat(closed.errorCode()).isEqualTo("sign_up_closed");
        // Rate limited with sign-in (per client IP), not as an ordinary API call.
        assertThat(closed.header("RateLimit-Limit"))
                .isEqualTo(GENEROUS_RATE_LIMITS.get("corral.rate-limit.sign-in-per-minute"));
        // Without the CSRF token, nothing (as for sign-in).
        assertThat(anonymous().withoutCsrf().post("/api/auth/signup", signUp).errorCode()).isEqualTo("csrf_invalid");

        ApiClient admin = admin();
        String adminId = id(admin);
        assertThat(admin.get("/api/admin/settings").body().path("signUpOpen").asBoolean()).isFalse();
        assertThat(admin.patch("/api/admin/settings", Map.of("signUpOpen", true)).body().path("signUpOpen")
                .asBoolean()).isTrue();
        assertThat(audit(adminId, "settings_changed")).extracting(AuditRow::summary).last()
                .isEqualTo("settings_changed success admin signUpOpen: false -> true");
        assertThat(stranger.get("/api/setup").body().path("signUpOpen").asBoolean()).isTrue();

        // The policy applies to sign-up too.
        assertThat(stranger.post("/api/auth/signup", Map.of("username", name, "password", "password1234"))
                .body().path("error").path("fields").path("password").asString()).contains("too common");
        ApiClient.Response created = stranger.post("/api/auth/signup", signUp);
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        assertThat(created.body().path("status").asString()).isEqualTo("pending");
        assertThat(created.body().path("role").asString()).isEqualTo("user");
        assertThat(created.body().has("passwordHash")).isFalse();
        String id = created.body().path("id").asString();
        assertThat(stranger.get("/api/me").status()).isEqualTo(401);
        assertThat(stranger.post("/api/auth/signup", Map.of("username", name.toUpperCase(), "password", PASSWORD))
                .errorCode()).isEqualTo("username_taken");

        // Pending: the right password is told so, a wrong one gets the answer every failed sign-in gets.
        ApiClient pendingClient = anonymous();
        ApiClient.Response pending = pendingClient.signIn(name, PASSWORD);
        assertThat(pending.status()).isEqualTo(403);
        assertThat(pending.errorCode()).isEqualTo("account_pending");
        assertThat(pendingClient.cookie("CORRAL_SESSION")).isNull();
        assertThat(pendingClient.get("/api/me").status()).isEqualTo(401);
        ApiClient.Response wrong = anonymous().signIn(name, "not-the-password");
        assertThat(wrong.raw()).isEqualTo(anonymous().signIn("nobody-" + name, "not-the-password").raw());

        JsonNode listed = user(admin, id);
        assertThat(listed.path("status").asString()).isEqualTo("pending");
        assertThat(listed.path("enabled").asBoolean()).isFalse();

        ApiClient.Response approved = admin.post("/api/admin/users/" + id + "/approve", null);
        assertThat(approved.body().path("status").asString()).isEqualTo("enabled");
        ApiClient member = anonymous();
        assertThat(member.signIn(name, PASSWORD).status()).isEqualTo(200);
        assertThat(member.get("/api/conversations").status()).isEqualTo(200);
        assertThat(audit(id)).extracting(AuditRow::summary)
                .containsExactlyInAnyOrder("sign_up success " + name, "user_approved success admin");

        // A second sign-up is rejected by deleting it.
        String other = "r" + UUID.randomUUID().toString().substring(0, 8);
        String otherId = stranger.post("/api/auth/signup", Map.of("username", other, "password", PASSWORD)).body()
                .path("id").asString();
        assertThat(admin.delete("/api/admin/users/" + otherId).status()).isEqualTo(204);
        assertThat(anonymous().signIn(other, PASSWORD).errorCode()).isEqualTo("invalid_credentials");

        // Closed again: refused, nothing stored.
        admin.patch("/api/admin/settings", Map.of("signUpOpen", false));
        assertThat(stranger.post("/api/auth/signup", Map.of("username", "late" + other, "password", PASSWORD))
                .errorCode()).isEqualTo("sign_up_closed");
        assertThat(admin.get("/api/admin/users").body().path("items").findValuesAsString("username"))
                .doesNotContain("late" + other);
    }

    @Test
    void enablingAPendingAccountApprovesItAndDisablingOneRejectsIt() {
        ApiClient admin = admin();
        admin.patch("/api/admin/settings", Map.of("signUpOpen", true));
        ApiClient stranger = anonymous();
        stranger.ensureCsrfCookie();
        String a = "e" + UUID.randomUUID().toString().substring(0, 8);
        String b = "d" + UUID.randomUUID().toString().substring(0, 8);
        String aId = stranger.post("/api/auth/signup", Map.of("username", a, "password", PASSWORD)).body().path("id")
                .asString();
        String bId = stranger.post("/api/auth/signup", Map.of("username", b, "password", PASSWORD)).body().path("id")
                .asString();
        assertThat(admin.patch("/api/admin/users/" + aId, Map.of("enabled", true)).body().path("status").asString())
                .isEqualTo("enabled");
        assertThat(admin.patch("/api/admin/users/" + bId, Map.of("enabled", false)).body().path("status").asString())
                .isEqualTo("disabled");
        assertThat(anonymous().signIn(a, PASSWORD).status()).isEqualTo(200);
        assertThat(anonymous().signIn(b, PASSWORD).errorCode()).isEqualTo("invalid_credentials");
        assertThat(audit(aId)).extracting(AuditRow::summary).contains("user_approved success admin");
        assertThat(audit(bId)).extracting(AuditRow::summary).contains("user_disabled success admin");
    }

    // ------------------------------------------------------------------ who may

    @Test
    void nonAdminsGetForbiddenOnEveryAdminEndpointAndChangeNothing() {
        Account frank = newAccount("user");
        ApiClient user = signIn(frank);
        ApiClient admin = admin();
        String adminId = id(admin);
        List<Supplier<ApiClient.Response>> attempts = List.of(
                () -> user.get("/api/admin/users"),
                () -> user.post("/api/admin/users", Map.of("username", "mallory", "password", PASSWORD)),
                () -> user.patch("/api/admin/users/" + frank.id, Map.of("role", "admin")),
                () -> user.patch("/api/admin/users/" + adminId, Map.of("enabled", false)),
                () -> user.delete("/api/admin/users/" + adminId),
                () -> user.post("/api/admin/users/" + adminId + "/password", Map.of("password", "mallory-owns-this-1")),
                () -> user.post("/api/admin/users/" + frank.id + "/approve", null),
                () -> user.get("/api/admin/settings"),
                () -> user.patch("/api/admin/settings", Map.of("signUpOpen", true)));
        for (Supplier<ApiClient.Response> attempt : attempts) {
            ApiClient.Response r = attempt.get();
            assertThat(r.status()).as(r.http().request().method() + " " + r.http().request().uri()).isEqualTo(403);
            assertThat(r.errorCode()).isEqualTo("forbidden");
        }
        ApiClient nobody = anonymous();
        nobody.ensureCsrfCookie();
        assertThat(nobody.delete("/api/admin/users/" + adminId).status()).isEqualTo(401);
        assertThat(nobody.patch("/api/admin/settings", Map.of("signUpOpen", true)).status()).isEqualTo(401);

        assertThat(admin.get("/api/me").body().path("status").asString()).isEqualTo("enabled");
        assertThat(admin.get("/api/admin/settings").body().path("signUpOpen").asBoolean()).isFalse();
        assertThat(user(admin, frank.id).path("role").asString()).isEqualTo("user");
    }

    // ------------------------------------------------------------------ helpers

    record Account(String id, String name) {
    }

    record AuditRow(long at, String action, String outcome, String actorId, String actor, String targetId,
                    String detail) {
        String summary() {
            return (action + " " + outcome + " " + actor + (detail == null ? "" : " " + detail)).strip();
        }
    }

    private Account newAccount(String role) {
        return newAccount(role, "a" + UUID.randomUUID().toString().substring(0, 8));
    }

    private Account newAccount(String role, String name) {
        if (creator == null) {
            creator = admin();
        }
        ApiClient.Response created = creator.post("/api/admin/users",
                Map.of("username", name, "password", PASSWORD, "role", role));
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        String id = created.body().path("id").asString();
        if (role.equals("admin")) {
            extraAdmins.add(id);
        }
        return new Account(id, name);
    }

    private ApiClient signIn(Account account) {
        ApiClient client = anonymous();
        assertThat(client.signIn(account.name, PASSWORD).status()).isEqualTo(200);
        return client;
    }

    private static String id(ApiClient client) {
        return client.get("/api/me").body().path("id").asString();
    }

    private static JsonNode user(ApiClient admin, String id) {
        for (JsonNode u : admin.get("/api/admin/users").body().path("items")) {
            if (u.path("id").asString().equals(id)) {
                return u;
            }
        }
        throw new AssertionError("no user " + id);
    }

    private List<String> activeAdminIds() {
        return jdbc.sql("SELECT id FROM users WHERE role = 'ADMIN' AND enabled = ?").param(true).query(String.class)
                .list();
    }

    /**
     * The actions of account and settings changes: the ones this contract is about. Others (sign-in and sessions,
     * rate limits) are left out, so that the checks hold whatever else is audited.
     */
    private static final Set<String> ACCOUNT_ACTIONS = Set.of("user_created", "user_approved",
            "user_enabled", "user_disabled", "user_deleted", "role_changed", "rate_limit_changed", "password_reset",
            "password_changed", "sign_up", "setup", "settings_changed");

    /** How many account audit entries this test has caused so far (GET /api/admin/audit). */
    private long auditCount() {
        return auditSinceTestStart().size();
    }

    /** The audit entries about one account (as target) since this test started, oldest first. */
    private List<AuditRow> audit(String targetId) {
        return auditSinceTestStart().stream().filter(e -> targetId.equals(e.targetId())).toList();
    }

    private List<AuditRow> audit(String actorId, String action) {
        return auditSinceTestStart().stream()
                .filter(e -> actorId.equals(e.actorId()) && action.equals(e.action())).toList();
    }

    /** Every account audit entry since this test started, page by page from GET /api/admin/audit; oldest first. */
    private List<AuditRow> auditSinceTestStart() {
        if (creator == null) {
            creator = admin();
        }
        List<AuditRow> rows = new ArrayList<>();
        String cursor = null;
        do {
            ApiClient.Response page = creator.get("/api/admin/audit?limit=200&from=" + testStart
                    + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)));
            assertThat(page.status()).as(page.raw()).isEqualTo(200);
            for (JsonNode e : page.body().path("items")) {
                if (!ACCOUNT_ACTIONS.contains(e.path("action").asString())) {
                    continue;
                }
                rows.add(new AuditRow(Instant.parse(e.path("at").asString()).toEpochMilli(),
                        e.path("action").asString(), e.path("outcome").asString(), e.path("actorId").asString(null),
                        e.path("actorName").asString(null), e.path("targetId").asString(null),
                        e.path("detail").asString(null)));
            }
            cursor = page.body().path("nextCursor").asString(null);
        } while (cursor != null);
        return rows.reversed();
    }

    private long countRows(String table, String userId) {
        return jdbc.sql("SELECT COUNT(*) FROM " + table + " WHERE user_id = ?").param(userId).query(Long.class)
                .single();
    }

    private long countMessages(String userId) {
        return jdbc.sql("SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                        + "WHERE c.user_id = ?").param(userId).query(Long.class).single();
    }
}
