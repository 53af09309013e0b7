package dev.corral.security;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.IntegrationTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sign-in sessions through the HTTP API: a new id on every sign-in, the list of one's sessions, ending one or all
 * of them, another user's sessions out of reach, sessions deleted when an account is disabled, and the audit
 * entries of sign-ins, failures, sign-outs and lock-outs. Runs against SQLite and PostgreSQL.
 */
abstract class SessionsContract extends IntegrationTest {

    static final String FIREFOX_ON_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0";

    @Test
    void everySignInGetsANewSessionIdAndTheOldIdStopsWorking() {
        String name = createUser();
        ApiClient client = anonymous();
        assertThat(client.signIn(name, PASSWORD).status()).isEqualTo(200);
        String first = client.cookie("CORRAL_SESSION");
        assertThat(client.signIn(name, PASSWORD).status()).isEqualTo(200);
        String second = client.cookie("CORRAL_SESSION");

        assertThat(second).isNotEqualTo(first);
        assertThat(withSession(first).get("/api/me").errorCode()).isEqualTo("unauthenticated");
        assertThat(withSession(second).get("/api/me").body().path("username").asString()).isEqualTo(name);
    }

    @Test
    void aSessionIdPlantedBeforeSignInIsNeverAdopted() {
        String attackerName = createUser();
        String victimName = createUser();
        ApiClient attacker = anonymous();
        assertThat(attacker.signIn(attackerName, PASSWORD).status()).isEqualTo(200);
        String planted = attacker.cookie("CORRAL_SESSION");

        // The victim's browser arrives with the attacker's session cookie and signs in.
        ApiClient victim = anonymous().withHeader("Cookie", "CORRAL_SESSION=" + planted);
        ApiClient.Response signedIn = victim.signIn(victimName, PASSWORD);
        assertThat(signedIn.status()).isEqualTo(200);
        String issued = sessionCookie(signedIn);
        assertThat(issued).isNotEqualTo(planted);

        // The planted id gives the attacker nothing: its session was deleted, and it never became the victim.
        assertThat(attacker.get("/api/me").errorCode()).isEqualTo("unauthenticated");
        assertThat(withSession(issued).get("/api/me").body().path("username").asString()).isEqualTo(victimName);
    }

    @Test
    void theListShowsTheCallersSessionsWithoutTheirSessionIds() {
        String name = createUser();
        ApiClient here = signedIn(name, null);
        ApiClient other = signedIn(name, FIREFOX_ON_LINUX);

        ApiClient.Response listed = here.get("/api/sessions");
        assertThat(listed.status()).isEqualTo(200);
        List<JsonNode> items = items(listed);
        assertThat(items).hasSize(2);
        JsonNode current = items.getFirst();
        assertThat(current.path("current").asBoolean()).isTrue();
        assertThat(current.path("browser").asString()).isEqualTo("Java HTTP client");
        assertThat(current.path("ip").asString()).isEqualTo("127.0.0.1");
        assertThat(current.path("createdAt").asString()).isNotEmpty();
        assertThat(current.path("lastActiveAt").asString()).isNotEmpty();
        assertThat(current.path("expiresAt").asString()).isNotEmpty();
        JsonNode firefox = items.get(1);
        assertThat(firefox.path("current").asBoolean()).isFalse();
        assertThat(firefox.path("browser").asString()).isEqualTo("Firefox on Linux");

        // The opaque ids are neither the cookies nor the session ids inside them.
        for (ApiClient client : List.of(here, other)) {
            String cookie = client.cookie("CORRAL_SESSION");
            String sessionId = new String(Base64.getDecoder().decode(cookie), StandardCharsets.UTF_8);
            assertThat(listed.raw()).doesNotContain(cookie).doesNotContain(sessionId);
        }
        assertThat(items(other.get("/api/sessions"))).extracting(s -> s.path("id").asString())
                .containsExactlyInAnyOrder(current.path("id").asString(), firefox.path("id").asString());
    }

    @Test
    void endingAnotherSessionSignsThatBrowserOut() {
        String name = createUser();
        ApiClient here = signedIn(name, null);
        ApiClient other = signedIn(name, FIREFOX_ON_LINUX);
        String otherId = items(here.get("/api/sessions")).stream().filter(s -> !s.path("current").asBoolean())
                .findFirst().orElseThrow().path("id").asString();

        assertThat(here.delete("/api/sessions/" + otherId).status()).isEqualTo(204);

        assertThat(other.get("/api/me").errorCode()).isEqualTo("unauthenticated");
        assertThat(here.get("/api/me").status()).isEqualTo(200);
        assertThat(items(here.get("/api/sessions"))).hasSize(1);
        assertThat(here.delete("/api/sessions/" + otherId).errorCode()).isEqualTo("not_found");
    }

    @Test
    void anotherUsersSessionsCanNeitherBeSeenNorEnded() {
        ApiClient alice = signedIn(createUser(), null);
        ApiClient bob = signedIn(createUser(), null);
        String aliceSession = items(alice.get("/api/sessions")).getFirst().path("id").asString();

        assertThat(items(bob.get("/api/sessions"))).extracting(s -> s.path("id").asString())
                .hasSize(1).doesNotContain(aliceSession);
        ApiClient.Response refused = bob.delete("/api/sessions/" + aliceSession);
        assertThat(refused.status()).isEqualTo(404);
        assertThat(refused.errorCode()).isEqualTo("not_found");
        assertThat(bob.delete("/api/sessions/no-such-session").errorCode()).isEqualTo("not_found");
        assertThat(alice.get("/api/me").status()).isEqualTo(200);
        assertThat(bob.get("/api/me").status()).isEqualTo(200);
    }

    @Test
    void signOutEverywhereEndsEverySessionOfTheCallerOnly() {
        String name = createUser();
        ApiClient first = signedIn(name, null);
        ApiClient second = signedIn(name, FIREFOX_ON_LINUX);
        ApiClient third = signedIn(name, null);
        ApiClient someoneElse = signedIn(createUser(), null);

        ApiClient.Response ended = second.post("/api/sessions/sign-out-everywhere", null);
        assertThat(ended.status()).isEqualTo(204);
        assertThat(ended.http().headers().allValues("Set-Cookie")).anyMatch(c -> c.startsWith("CORRAL_SESSION=;"));

        for (ApiClient client : List.of(first, second, third)) {
            assertThat(client.get("/api/me").errorCode()).isEqualTo("unauthenticated");
        }
        assertThat(someoneElse.get("/api/me").status()).isEqualTo(200);
        // Signing in again works as before.
        assertThat(signedIn(name, null).get("/api/sessions").status()).isEqualTo(200);
    }

    @Test
    void sessionEndpointsNeedASignedInCallerAndTheCsrfToken() {
        assertThat(anonymous().get("/api/sessions").errorCode()).isEqualTo("unauthenticated");
        ApiClient user = signedIn(createUser(), null);
        String id = items(user.get("/api/sessions")).getFirst().path("id").asString();
        ApiClient noToken = withSession(user.cookie("CORRAL_SESSION")).withoutCsrf();
        assertThat(noToken.delete("/api/sessions/" + id).errorCode()).isEqualTo("csrf_invalid");
        assertThat(noToken.post("/api/sessions/sign-out-everywhere", null).errorCode()).isEqualTo("csrf_invalid");
        assertThat(user.get("/api/me").status()).isEqualTo(200);
    }

    @Test
    void disablingAnAccountDeletesItsSessions() {
        ApiClient admin = admin();
        String name = createUser();
        ApiClient first = signedIn(name, null);
        ApiClient second = signedIn(name, FIREFOX_ON_LINUX);
        String id = first.get("/api/me").body().path("id").asString();

        // Disabled and enabled again without either browser making a request in between: only deleting the
        // sessions (not the per-request account check) can sign them out.
        assertThat(admin.patch("/api/admin/users/" + id, Map.of("enabled", false)).status()).isEqualTo(200);
        assertThat(admin.patch("/api/admin/users/" + id, Map.of("enabled", true)).status()).isEqualTo(200);

        assertThat(first.get("/api/me").errorCode()).isEqualTo("unauthenticated");
        assertThat(second.get("/api/me").errorCode()).isEqualTo("unauthenticated");
        assertThat(admin.get("/api/me").status()).isEqualTo(200);
        JsonNode ended = audit("session_ended", ADMIN).stream()
                .filter(e -> e.path("targetId").asString().equals(id)).findFirst().orElseThrow();
        assertThat(ended.path("targetType").asString()).isEqualTo("user");
        assertThat(ended.path("detail").asString()).startsWith("2 sessions ended");
    }

    @Test
    void signInsFailuresSignOutsAndLockOutsAreAudited() {
        String name = createUser();
        ApiClient first = signedIn(name, null);
        ApiClient second = signedIn(name, FIREFOX_ON_LINUX);
        ApiClient third = signedIn(name, null);
        String userId = first.get("/api/me").body().path("id").asString();

        List<JsonNode> signIns = audit("sign_in", name);
        assertThat(signIns).hasSize(3).allSatisfy(e -> {
            assertThat(e.path("outcome").asString()).isEqualTo("success");
            assertThat(e.path("actorId").asString()).isEqualTo(userId);
            assertThat(e.path("actorName").asString()).isEqualTo(name);
            assertThat(e.path("ip").asString()).isEqualTo("127.0.0.1");
            assertThat(e.path("targetType").asString()).isEqualTo("session");
            assertThat(e.path("at").asString()).isNotEmpty();
        });
        List<String> sessionIds = items(first.get("/api/sessions")).stream().map(s -> s.path("id").asString()).toList();
        assertThat(signIns).extracting(e -> e.path("targetId").asString()).containsExactlyInAnyOrderElementsOf(sessionIds);

        String secondId = items(second.get("/api/sessions")).getFirst().path("id").asString();
        assertThat(first.delete("/api/sessions/" + secondId).status()).isEqualTo(204);
        JsonNode ended = audit("session_ended", name).getFirst();
        assertThat(ended.path("targetId").asString()).isEqualTo(secondId);
        assertThat(ended.path("targetName").asString()).isEqualTo("Firefox on Linux, 127.0.0.1");

        assertThat(third.post("/api/auth/logout", null).status()).isEqualTo(204);
        JsonNode signOut = audit("sign_out", name).getFirst();
        assertThat(signOut.path("outcome").asString()).isEqualTo("success");
        assertThat(signOut.path("ip").asString()).isEqualTo("127.0.0.1");

        assertThat(first.post("/api/sessions/sign-out-everywhere", null).status()).isEqualTo(204);
        assertThat(audit("sign_out_everywhere", name).getFirst().path("detail").asString()).isEqualTo("1 session ended");

        // Failures: a wrong password (five times: the lock-out threshold) and an unknown user.
        for (int i = 0; i < 5; i++) {
            assertThat(anonymous().signIn(name, "wrong-password-" + i).errorCode()).isEqualTo("invalid_credentials");
        }
        List<JsonNode> failures = audit("sign_in", name).stream()
                .filter(e -> e.path("outcome").asString().equals("failure")).toList();
        assertThat(failures).hasSize(5).allSatisfy(e -> {
            assertThat(e.path("actorId").asString()).isEqualTo(userId);
            assertThat(e.path("ip").asString()).isEqualTo("127.0.0.1");
            assertThat(e.path("detail").asString()).isEqualTo("wrong password");
        });
        JsonNode lockout = audit("sign_in_lockout", name).getFirst();
        assertThat(lockout.path("outcome").asString()).isEqualTo("failure");
        assertThat(lockout.path("targetId").asString()).isEqualTo(userId);
        assertThat(lockout.path("ip").asString()).isEqualTo("127.0.0.1");
        assertThat(lockout.path("detail").asString()).contains("5 consecutive failed sign-ins");
        // While locked, even the right password is refused, and that is recorded too.
        assertThat(anonymous().signIn(name, PASSWORD).errorCode()).isEqualTo("invalid_credentials");
        assertThat(audit("sign_in", name).getFirst().path("detail").asString()).isEqualTo("account locked");

        String nobody = "nobody-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(anonymous().signIn(nobody, PASSWORD).errorCode()).isEqualTo("invalid_credentials");
        JsonNode unknown = audit("sign_in", nobody).getFirst();
        assertThat(unknown.path("outcome").asString()).isEqualTo("failure");
        assertThat(unknown.path("actorId").isNull()).isTrue();
        assertThat(unknown.path("detail").asString()).isEqualTo("unknown user");
    }

    // ---------------------------------------------------------------- helpers

    /** A new account (created by the admin); its name. */
    protected String createUser() {
        String name = "s" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(admin().post("/api/admin/users", Map.of("username", name, "password", PASSWORD)).status())
                .isEqualTo(201);
        return name;
    }

    /** A client signed in as {@code name}, sending this User-Agent (null: the Java client's own). */
    protected ApiClient signedIn(String name, String userAgent) {
        ApiClient client = anonymous();
        if (userAgent != null) {
            client.withHeader("User-Agent", userAgent);
        }
        assertThat(client.signIn(name, PASSWORD).status()).isEqualTo(200);
        return client;
    }

    /** A client that sends only this session cookie (for GETs: it has no CSRF token). */
    protected ApiClient withSession(String cookieValue) {
        return anonymous().withHeader("Cookie", "CORRAL_SESSION=" + cookieValue);
    }

    private static String sessionCookie(ApiClient.Response response) {
        String header = response.http().headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("CORRAL_SESSION=")).findFirst().orElseThrow();
        return header.substring("CORRAL_SESSION=".length(), header.indexOf(';'));
    }

    private static List<JsonNode> items(ApiClient.Response response) {
        assertThat(response.status()).as(response.raw()).isEqualTo(200);
        List<JsonNode> items = new ArrayList<>();
        response.body().path("items").forEach(items::add);
        return items;
    }

    /** The audit entries of this action whose actor is {@code actor} (name or id), newest first. */
    private List<JsonNode> audit(String action, String actor) {
        return items(admin().get("/api/admin/audit?action=" + action + "&actor=" + actor));
    }
}
