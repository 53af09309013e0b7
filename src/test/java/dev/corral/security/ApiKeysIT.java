package dev.corral.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.core.simple.JdbcClient;

import tools.jackson.databind.JsonNode;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.IntegrationTest;
import dev.corral.testsupport.PostgresDatabase;
import dev.corral.testsupport.SeparateCorral;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * API keys: the secret is shown once and stored as a digest; {@code Authorization: Bearer} authenticates every kind
 * of endpoint without a CSRF token; every key that does not work gets one identical 401; rotation keeps the old key
 * for the grace period only; keys cannot make keys; other users' keys are 404; admins see and revoke all keys.
 */
@ExtendWith(OutputCaptureExtension.class)
class ApiKeysIT extends IntegrationTest {

    private static final String KEY_FORMAT = "crl_[0-9A-Za-z]{8}_[0-9A-Za-z]{43}";

    @Autowired
    JdbcClient jdbc;

    @TempDir
    Path dataDir;
    @TempDir
    Path logDir;

    // ------------------------------------------------------------------ creating and listing

    @Test
    void theSecretIsShownOnceAndOnlyItsDigestIsStored() throws Exception {
        ApiClient user = newUser();
        ApiClient.Response created = user.post("/api/keys", Map.of("name", "  laptop script  "));
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        String secret = created.body().path("secret").asString();
        JsonNode key = created.body().path("key");
        assertThat(secret).matches(KEY_FORMAT);
        assertThat(key.path("name").asString()).isEqualTo("laptop script");
        assertThat(key.path("prefix").asString()).isEqualTo(secret.substring(0, 12));
        assertThat(key.path("status").asString()).isEqualTo("active");
        assertThat(key.path("createdAt").asString()).isNotBlank();
        assertThat(key.path("lastUsedAt").isNull()).isTrue();
        assertThat(key.path("expiresAt").isNull()).isTrue();
        assertThat(key.path("revokedAt").isNull()).isTrue();
        assertThat(created.header("Cache-Control")).contains("no-store");

        String randomPart = secret.substring(13);
        ApiClient.Response list = user.get("/api/keys");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body().path("items")).hasSize(1);
        assertThat(list.body().path("items").get(0).path("id").asString()).isEqualTo(key.path("id").asString());
        assertThat(list.raw()).doesNotContain(randomPart).doesNotContain("secret").doesNotContain("hash");
        assertThat(admin().get("/api/admin/keys").raw()).doesNotContain(randomPart).doesNotContain("hash");

        // The database holds the SHA-256 of the key, and the secret in no column.
        Map<String, Object> row = jdbc.sql("SELECT * FROM api_keys WHERE id = ?").param(key.path("id").asString())
                .query().singleRow();
        assertThat(row.get("secret_hash")).isEqualTo(HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(secret.getBytes())));
        assertThat(row.values()).noneMatch(v -> v != null && v.toString().contains(randomPart));
        assertThat(audit("key_created", key.path("id").asString())).hasSize(1);
    }

    @Test
    void invalidInputIsRefusedFieldByFieldAndNothingIsStored() {
        ApiClient user = newUser();
        Instant now = Instant.now();
        List<Object[]> cases = List.of(
                new Object[] {Map.of(), "name"},
                new Object[] {Map.of("name", "   "), "name"},
                new Object[] {Map.of("name", "x".repeat(65)), "name"},
                new Object[] {Map.of("name", "tab\there"), "name"},
                new Object[] {Map.of("name", 42), "name"},
                new Object[] {Map.of("name", "ok", "expiresAt", now.minusSeconds(60).toString()), "expiresAt"},
                new Object[] {Map.of("name", "ok", "expiresAt", now.plus(Duration.ofDays(731)).toString()), "expiresAt"},
                new Object[] {Map.of("name", "ok", "expiresAt", "next tuesday"), "expiresAt"},
                new Object[] {Map.of("name", "ok", "expiresAt", 1893456000), "expiresAt"},
                new Object[] {List.of("name"), "body"});
        for (Object[] c : cases) {
            ApiClient.Response r = user.post("/api/keys", c[0]);
            assertThat(r.status()).as(c[0].toString()).isEqualTo(400);
            assertThat(r.errorCode()).isEqualTo("validation_failed");
            assertThat(r.body().path("error").path("fields").has((String) c[1])).as(r.raw()).isTrue();
        }
        assertThat(user.post("/api/keys", "{not json").status()).isEqualTo(400);
        assertThat(user.get("/api/keys").body().path("items")).isEmpty();
        // 64 characters and an expiry in two years are fine.
        assertThat(user.post("/api/keys", Map.of("name", "x".repeat(64),
                "expiresAt", now.plus(Duration.ofDays(729)).toString())).status()).isEqualTo(201);
    }

    @Test
    void aUserHasAtMostFiftyActiveKeys() {
        ApiClient user = newUser();
        String first = null;
        for (int i = 0; i < 50; i++) {
            ApiClient.Response r = user.post("/api/keys", Map.of("name", "key " + i));
            assertThat(r.status()).as(r.raw()).isEqualTo(201);
            if (first == null) {
                first = r.body().path("key").path("id").asString();
            }
        }
        ApiClient.Response refused = user.post("/api/keys", Map.of("name", "one too many"));
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.errorCode()).isEqualTo("api_key_limit");
        assertThat(refused.body().path("error").path("message").asString()).contains("50");
        assertThat(user.get("/api/keys").body().path("items")).hasSize(50);
        // At the cap, rotating is refused too: the rotated key keeps working through its grace period, so
        // rotation must not pile up working keys. Revoking one makes room.
        ApiClient.Response rotation = user.post("/api/keys/" + first + "/rotate", null);
        assertThat(rotation.status()).isEqualTo(409);
        assertThat(rotation.errorCode()).isEqualTo("api_key_limit");
        assertThat(user.get("/api/keys").body().path("items")).hasSize(50);
        String firstId = first;
        String second = user.get("/api/keys").body().path("items").valueStream()
                .filter(k -> !k.path("id").asString().equals(firstId)).findFirst().orElseThrow()
                .path("id").asString();
        assertThat(user.delete("/api/keys/" + second).status()).isEqualTo(204);
        assertThat(user.post("/api/keys/" + first + "/rotate", null).status()).isEqualTo(201);
        // The old key, in its grace period, still counts: 49 others + the new one + the old one.
        assertThat(user.post("/api/keys", Map.of("name", "one too many")).status()).isEqualTo(409);
        assertThat(user.delete("/api/keys/" + first).status()).isEqualTo(204);
        assertThat(user.post("/api/keys", Map.of("name", "now it fits")).status()).isEqualTo(201);
    }

    // ------------------------------------------------------------------ using a key

    @Test
    void aKeyAuthenticatesConversationsChatModelsAndMeWithoutACsrfToken() {
        ApiClient owner = newUser();
        String username = owner.get("/api/me").body().path("username").asString();
        String secret = createKey(owner, "tool").path("secret").asString();
        ApiClient tool = withKey(secret);

        ApiClient.Response me = tool.get("/api/me");
        assertThat(me.status()).isEqualTo(200);
        assertThat(me.body().path("username").asString()).isEqualTo(username);
        assertThat(tool.get("/api/models").status()).isEqualTo(200);
        ApiClient.Response created = tool.post("/api/conversations", Map.of("model", "llama3.2:latest", "title", "by key"));
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        String conversation = created.body().path("id").asString();
        OLLAMA.setReply("answered for a key");
        List<ApiClient.Event> events = tool.chat(conversation, "hello from a script");
        assertThat(events.getLast().name()).isEqualTo("done");
        assertThat(events.getLast().data().path("message").path("content").asString()).isEqualTo("answered for a key");
        assertThat(tool.patch("/api/conversations/" + conversation, Map.of("title", "renamed")).status()).isEqualTo(200);
        // What the key did is the owner's.
        assertThat(owner.get("/api/conversations/" + conversation).body().path("messages")).hasSize(2);
        assertThat(tool.get("/api/conversations").body().path("items").findValuesAsString("title")).contains("renamed");
        assertThat(tool.delete("/api/conversations/" + conversation).status()).isEqualTo(204);
        assertThat(owner.get("/api/conversations/" + conversation).status()).isEqualTo(404);

        // No session is ever made for a key (and no CSRF token was ever sent).
        assertThat(tool.cookie("CORRAL_SESSION")).isNull();
        // The list shows when the key was last used.
        JsonNode listed = owner.get("/api/keys").body().path("items").get(0);
        assertThat(listed.path("lastUsedAt").isNull()).isFalse();
    }

    @Test
    void lastUsedIsWrittenAtMostOnceAMinute() {
        ApiClient owner = newUser();
        JsonNode created = createKey(owner, "busy");
        ApiClient tool = withKey(created.path("secret").asString());
        assertThat(tool.get("/api/me").status()).isEqualTo(200);
        String first = owner.get("/api/keys").body().path("items").get(0).path("lastUsedAt").asString();
        assertThat(first).isNotBlank();
        for (int i = 0; i < 3; i++) {
            assertThat(tool.get("/api/me").status()).isEqualTo(200);
        }
        assertThat(owner.get("/api/keys").body().path("items").get(0).path("lastUsedAt").asString()).isEqualTo(first);
    }

    @Test
    void keyRequestsNeedNoCsrfTokenWhileCookieRequestsStillDo() {
        ApiClient alice = newUser();
        ApiClient bob = newUser();
        String bobKey = createKey(bob, "bob's").path("secret").asString();

        // Alice's session without the token: refused.
        ApiClient aliceNoToken = anonymous();
        aliceNoToken.signIn(alice.get("/api/me").body().path("username").asString(), PASSWORD);
        aliceNoToken.withoutCsrf();
        ApiClient.Response refused = aliceNoToken.post("/api/conversations", Map.of("model", "llama3.2:latest"));
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.errorCode()).isEqualTo("csrf_invalid");
        assertThat(alice.get("/api/conversations").body().path("items")).isEmpty();

        // Alice's session cookie with Bob's key: the key decides, the cookie is ignored.
        aliceNoToken.withHeader("Authorization", "Bearer " + bobKey);
        assertThat(aliceNoToken.get("/api/me").body().path("id").asString())
                .isEqualTo(bob.get("/api/me").body().path("id").asString());
        assertThat(aliceNoToken.post("/api/conversations", Map.of("model", "llama3.2:latest")).status()).isEqualTo(201);
        assertThat(alice.get("/api/conversations").body().path("items")).isEmpty();
        assertThat(bob.get("/api/conversations").body().path("items")).hasSize(1);

        // A wrong key with a valid session cookie is refused: the cookie is no fallback.
        ApiClient aliceWrongKey = anonymous();
        aliceWrongKey.signIn(alice.get("/api/me").body().path("username").asString(), PASSWORD);
        // (The last character changed to one it is not: a fixed replacement would leave 1 key in 62 valid.)
        char last = bobKey.charAt(bobKey.length() - 1);
        aliceWrongKey.withHeader("Authorization",
                "Bearer " + bobKey.substring(0, bobKey.length() - 1) + (last == 'x' ? 'y' : 'x'));
        ApiClient.Response wrong = aliceWrongKey.get("/api/me");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.errorCode()).isEqualTo("invalid_api_key");
    }

    @Test
    void everyKeyThatDoesNotWorkGetsTheSameAnswer() throws Exception {
        ApiClient owner = newUser();
        String ownerId = owner.get("/api/me").body().path("id").asString();
        String good = createKey(owner, "good").path("secret").asString();
        JsonNode revokedKey = createKey(owner, "revoked");
        assertThat(owner.delete("/api/keys/" + revokedKey.path("key").path("id").asString()).status()).isEqualTo(204);
        String expiring = owner.post("/api/keys", Map.of("name", "short-lived",
                "expiresAt", Instant.now().plusMillis(1500).toString())).body().path("secret").asString();
        assertThat(withKey(expiring).get("/api/me").status()).isEqualTo(200);

        ApiClient disabledOwner = newUser();
        String disabledId = disabledOwner.get("/api/me").body().path("id").asString();
        String disabledKey = createKey(disabledOwner, "of a disabled user").path("secret").asString();
        assertThat(withKey(disabledKey).get("/api/me").status()).isEqualTo(200);
        assertThat(admin().patch("/api/admin/users/" + disabledId, Map.of("enabled", false)).status()).isEqualTo(200);

        Thread.sleep(1600);
        Map<String, String> invalid = new LinkedHashMap<>();
        invalid.put("unknown", "crl_AAAAAAAA_" + "A".repeat(43));
        invalid.put("right prefix, wrong secret", good.substring(0, 13) + "B".repeat(43));
        invalid.put("revoked", revokedKey.path("secret").asString());
        invalid.put("expired", expiring);
        invalid.put("owner disabled", disabledKey);
        invalid.put("malformed", "crl_short");
        invalid.put("not a key at all", "hello");
        invalid.put("too long", good + "A");
        invalid.put("empty", "");

        List<String> bodies = new ArrayList<>();
        List<String> challenges = new ArrayList<>();
        for (Map.Entry<String, String> e : invalid.entrySet()) {
            for (String path : List.of("/api/me", "/api/conversations")) {
                ApiClient.Response r = withKey(e.getValue()).get(path);
                assertThat(r.status()).as(e.getKey() + " " + path).isEqualTo(401);
                assertThat(r.errorCode()).as(e.getKey()).isEqualTo("invalid_api_key");
                bodies.add(r.raw());
                challenges.add(r.header("WWW-Authenticate"));
            }
            // A state-changing request changes nothing (and is not asked for a CSRF token first).
            ApiClient.Response post = withKey(e.getValue()).post("/api/conversations", Map.of("model", "llama3.2:latest"));
            assertThat(post.status()).as(e.getKey()).isEqualTo(401);
            bodies.add(post.raw());
        }
        assertThat(bodies).as("one body whatever the reason").containsOnly(bodies.getFirst());
        assertThat(challenges).containsOnly("Bearer error=\"invalid_token\"");
        assertThat(new ApiClient(baseUrl()).withHeader("authorization", "bearer " + good).get("/api/me").status())
                .as("the scheme is case-insensitive").isEqualTo(200);
        assertThat(owner.get("/api/conversations").body().path("items")).isEmpty();
        assertThat(jdbc.sql("SELECT COUNT(*) FROM conversations WHERE user_id = ?").param(disabledId)
                .query(Long.class).single()).isZero();
        assertThat(ownerId).isNotBlank();

        // Enabled again, the account's key works again: it was the account, not the key, that was refused.
        assertThat(admin().patch("/api/admin/users/" + disabledId, Map.of("enabled", true)).status()).isEqualTo(200);
        assertThat(withKey(disabledKey).get("/api/me").status()).isEqualTo(200);
    }

    @Test
    void aKeyInTheQueryStringNeverAuthenticates() {
        ApiClient owner = newUser();
        String secret = createKey(owner, "query").path("secret").asString();
        for (String parameter : List.of("api_key", "key", "access_token", "token", "apiKey", "bearer")) {
            ApiClient.Response r = anonymous().get("/api/me?" + parameter + "=" + secret);
            assertThat(r.status()).as(parameter).isEqualTo(401);
            assertThat(r.errorCode()).isEqualTo("unauthenticated");
        }
        ApiClient.Response form = anonymous().postRaw("/api/conversations", "access_token=" + secret
                + "&model=llama3.2:latest", "application/x-www-form-urlencoded");
        assertThat(form.status()).isIn(401, 403);
        assertThat(owner.get("/api/conversations").body().path("items")).isEmpty();
    }

    // ------------------------------------------------------------------ what keys may not do, and whose keys

    @Test
    void aKeyCannotCreateOrRotateKeysButMayListAndRevoke() {
        ApiClient owner = newUser();
        JsonNode created = createKey(owner, "limited");
        String id = created.path("key").path("id").asString();
        ApiClient tool = withKey(created.path("secret").asString());

        ApiClient.Response create = tool.post("/api/keys", Map.of("name", "child"));
        assertThat(create.status()).isEqualTo(403);
        assertThat(create.errorCode()).isEqualTo("forbidden");
        assertThat(create.body().path("error").path("message").asString()).contains("API key cannot create");
        ApiClient.Response rotate = tool.post("/api/keys/" + id + "/rotate", null);
        assertThat(rotate.status()).isEqualTo(403);
        assertThat(rotate.body().path("error").path("message").asString()).contains("API key cannot rotate");
        assertThat(owner.get("/api/keys").body().path("items")).hasSize(1);
        assertThat(owner.get("/api/keys").body().path("items").get(0).path("status").asString()).isEqualTo("active");

        assertThat(tool.get("/api/keys").body().path("items")).hasSize(1);
        assertThat(tool.delete("/api/keys/" + id).status()).isEqualTo(204);
        assertThat(tool.get("/api/me").status()).isEqualTo(401);
        assertThat(owner.get("/api/keys").body().path("items").get(0).path("status").asString()).isEqualTo("revoked");
        // Revoking again changes nothing.
        assertThat(owner.delete("/api/keys/" + id).status()).isEqualTo(204);
        assertThat(audit("key_revoked", id)).hasSize(1);
    }

    @Test
    void aKeyCannotSeeOrEndSessionsNorSignOutTheCookieSentWithIt() {
        ApiClient owner = newUser();
        String secret = createKey(owner, "sessions").path("secret").asString();
        ApiClient tool = withKey(secret);
        for (ApiClient.Response refused : List.of(tool.get("/api/sessions"),
                tool.post("/api/sessions/sign-out-everywhere", null))) {
            assertThat(refused.status()).as(refused.raw()).isEqualTo(403);
            assertThat(refused.errorCode()).isEqualTo("forbidden");
        }
        String sessionId = owner.get("/api/sessions").body().path("items").get(0).path("id").asString();
        assertThat(tool.delete("/api/sessions/" + sessionId).status()).isEqualTo(403);

        // Signing out with a key and the owner's cookie together ends nothing: the key request is stateless.
        ApiClient both = withKey(secret).withHeader("Cookie", "CORRAL_SESSION=" + owner.cookie("CORRAL_SESSION"));
        assertThat(both.post("/api/auth/logout", null).status()).isEqualTo(204);
        assertThat(owner.get("/api/me").status()).isEqualTo(200);
        assertThat(owner.get("/api/sessions").body().path("items")).hasSize(1);
    }

    @Test
    void anAdminsKeyCannotHandOutNewWaysIn() {
        ApiClient admin = admin();
        ApiClient tool = withKey(createKey(admin, "admin-automation").path("secret").asString());
        String userName = "k" + UUID.randomUUID().toString().substring(0, 8);
        String userId = admin.post("/api/admin/users", Map.of("username", userName, "password", PASSWORD)).body()
                .path("id").asString();
        String adminId = admin.get("/api/me").body().path("id").asString();
        String usersBefore = admin.get("/api/admin/users").raw();

        List<ApiClient.Response> refused = List.of(
                tool.post("/api/admin/users", Map.of("username", "successor", "password", "successor-password-1",
                        "role", "admin")),
                tool.post("/api/admin/users/" + adminId + "/password", Map.of("password", "taken-over-password-1")),
                tool.post("/api/admin/users/" + userId + "/password", Map.of("password", "taken-over-password-1")),
                tool.patch("/api/admin/users/" + userId, Map.of("role", "admin")),
                tool.post("/api/admin/users/" + userId + "/approve", null),
                tool.patch("/api/admin/settings", Map.of("signUpOpen", true)));
        for (ApiClient.Response r : refused) {
            assertThat(r.status()).as(r.http().request().uri() + " " + r.raw()).isEqualTo(403);
            assertThat(r.errorCode()).isEqualTo("forbidden");
        }
        assertThat(admin.get("/api/admin/users").raw()).isEqualTo(usersBefore);
        assertThat(anonymous().signIn(ADMIN, ADMIN_PASSWORD).status()).isEqualTo(200);
        assertThat(anonymous().signIn(userName, PASSWORD).status()).isEqualTo(200);
        assertThat(admin.get("/api/admin/settings").body().path("signUpOpen").asBoolean()).isFalse();
        // Reading stays possible: automation can list accounts and keys.
        assertThat(tool.get("/api/admin/users").status()).isEqualTo(200);
        assertThat(tool.get("/api/admin/keys").status()).isEqualTo(200);
    }

    @Test
    void anAdminsPasswordResetRevokesTheAccountsKeysWhileTheOwnersOwnChangeKeepsThem() {
        ApiClient admin = admin();
        String name = "r" + UUID.randomUUID().toString().substring(0, 8);
        String userId = admin.post("/api/admin/users", Map.of("username", name, "password", PASSWORD)).body()
                .path("id").asString();
        ApiClient owner = anonymous();
        assertThat(owner.signIn(name, PASSWORD).status()).isEqualTo(200);
        JsonNode kept = createKey(owner, "kept");
        assertThat(owner.post("/api/me/password", Map.of("currentPassword", PASSWORD,
                "newPassword", "a-new-password-of-mine")).status()).isEqualTo(204);
        assertThat(withKey(kept.path("secret").asString()).get("/api/me").status()).isEqualTo(200);

        assertThat(admin.post("/api/admin/users/" + userId + "/password",
                Map.of("password", "reset-by-the-admin-1")).status()).isEqualTo(204);
        assertThat(withKey(kept.path("secret").asString()).get("/api/me").status()).isEqualTo(401);
        assertThat(audit("key_revoked", kept.path("key").path("id").asString())).singleElement()
                .satisfies(row -> assertThat(row.get("actor_name")).isEqualTo(ADMIN));
    }

    @Test
    void anotherUsersKeyIsNotFoundWhetherBySessionOrByKey() {
        ApiClient alice = newUser();
        ApiClient bob = newUser();
        JsonNode alices = createKey(alice, "alice's key");
        String id = alices.path("key").path("id").asString();
        ApiClient bobsTool = withKey(createKey(bob, "bob's key").path("secret").asString());

        for (ApiClient intruder : List.of(bob, bobsTool)) {
            for (ApiClient.Response r : List.of(intruder.delete("/api/keys/" + id),
                    intruder.post("/api/keys/" + id + "/rotate", null))) {
                assertThat(r.status()).as(r.http().request().method() + " " + r.http().request().uri()).isIn(404, 403);
                if (intruder == bob) {
                    assertThat(r.status()).isEqualTo(404);
                    assertThat(r.errorCode()).isEqualTo("not_found");
                }
                assertThat(r.raw()).doesNotContain("alice");
            }
            assertThat(intruder.get("/api/keys").raw()).doesNotContain(id).doesNotContain("alice");
            assertThat(intruder.get("/api/admin/keys").status()).isEqualTo(403);
            assertThat(intruder.delete("/api/admin/keys/" + id).status()).isEqualTo(403);
        }
        // A key's revocation by key is scoped the same way.
        assertThat(bobsTool.delete("/api/keys/" + id).status()).isEqualTo(404);
        assertThat(withKey(alices.path("secret").asString()).get("/api/me").status()).isEqualTo(200);
        assertThat(alice.get("/api/keys").body().path("items").get(0).path("status").asString()).isEqualTo("active");
        assertThat(bob.delete("/api/keys/no-such-key").status()).isEqualTo(404);
        assertThat(bob.post("/api/keys/" + "x".repeat(300) + "/rotate", null).status()).isEqualTo(404);
    }

    @Test
    void anAdminListsAndRevokesAnyUsersKeys() {
        ApiClient alice = newUser();
        JsonNode me = alice.get("/api/me").body();
        JsonNode created = createKey(alice, "alice's key");
        String id = created.path("key").path("id").asString();
        ApiClient admin = admin();

        JsonNode all = admin.get("/api/admin/keys").body().path("items");
        JsonNode listed = all.valueStream().filter(k -> k.path("id").asString().equals(id)).findFirst().orElseThrow();
        assertThat(listed.path("userId").asString()).isEqualTo(me.path("id").asString());
        assertThat(listed.path("username").asString()).isEqualTo(me.path("username").asString());
        assertThat(listed.path("prefix").asString()).isEqualTo(created.path("key").path("prefix").asString());
        assertThat(listed.path("status").asString()).isEqualTo("active");
        JsonNode hers = admin.get("/api/admin/keys?userId=" + me.path("id").asString()).body().path("items");
        assertThat(hers).hasSize(1);
        assertThat(admin.get("/api/admin/keys?userId=" + "x".repeat(65)).status()).isEqualTo(400);

        assertThat(admin.delete("/api/admin/keys/" + id).status()).isEqualTo(204);
        assertThat(withKey(created.path("secret").asString()).get("/api/me").status()).isEqualTo(401);
        assertThat(alice.get("/api/keys").body().path("items").get(0).path("status").asString()).isEqualTo("revoked");
        assertThat(admin.delete("/api/admin/keys/no-such-key").status()).isEqualTo(404);

        List<Map<String, Object>> entries = audit("key_revoked", id);
        assertThat(entries).hasSize(1);
        assertThat(entries.getFirst().get("actor_name")).isEqualTo(ADMIN);
        assertThat(entries.getFirst().get("detail").toString()).contains(me.path("username").asString());
    }

    @Test
    void metricsAcceptAnAdminsKeyOnly() {
        ApiClient admin = admin();
        String adminKey = createKey(admin, "prometheus").path("secret").asString();
        String userKey = createKey(newUser(), "not an admin").path("secret").asString();

        ApiClient.Response scraped = withKey(adminKey).get("/metrics");
        assertThat(scraped.status()).isEqualTo(200);
        assertThat(scraped.raw()).contains("jvm_");
        ApiClient.Response user = withKey(userKey).get("/metrics");
        assertThat(user.status()).isEqualTo(403);
        assertThat(user.errorCode()).isEqualTo("forbidden");
        assertThat(anonymous().get("/metrics").status()).isEqualTo(401);
        ApiClient.Response revokedOrUnknown = withKey("crl_AAAAAAAA_" + "A".repeat(43)).get("/metrics");
        assertThat(revokedOrUnknown.status()).isEqualTo(401);
        assertThat(revokedOrUnknown.errorCode()).isEqualTo("invalid_api_key");
        // An admin's key reaches the admin API as well.
        assertThat(withKey(adminKey).get("/api/admin/users").status()).isEqualTo(200);
    }

    // ------------------------------------------------------------------ rotation

    @Test
    void rotationMakesANewKeyAndKeepsTheOldOneForTheGracePeriod() {
        ApiClient owner = newUser();
        JsonNode created = createKey(owner, "deploy");
        String oldId = created.path("key").path("id").asString();
        String oldSecret = created.path("secret").asString();

        ApiClient.Response rotated = owner.post("/api/keys/" + oldId + "/rotate", null);
        assertThat(rotated.status()).as(rotated.raw()).isEqualTo(201);
        String newSecret = rotated.body().path("secret").asString();
        assertThat(newSecret).matches(KEY_FORMAT).isNotEqualTo(oldSecret);
        assertThat(rotated.body().path("key").path("name").asString()).isEqualTo("deploy");
        assertThat(rotated.body().path("key").path("id").asString()).isNotEqualTo(oldId);
        assertThat(rotated.body().path("key").path("expiresAt").isNull()).isTrue();

        JsonNode old = key(owner, oldId);
        assertThat(old.path("status").asString()).isEqualTo("expiring");
        assertThat(old.path("rotatedAt").isNull()).isFalse();
        // The default grace period is 24 hours.
        Instant graceEnd = Instant.parse(old.path("expiresAt").asString());
        assertThat(graceEnd).isBetween(Instant.now().plus(Duration.ofHours(24)).minusSeconds(60),
                Instant.now().plus(Duration.ofHours(24)));
        assertThat(withKey(oldSecret).get("/api/me").status()).isEqualTo(200);
        assertThat(withKey(newSecret).get("/api/me").status()).isEqualTo(200);

        // Only an active key can be rotated.
        ApiClient.Response again = owner.post("/api/keys/" + oldId + "/rotate", null);
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.errorCode()).isEqualTo("api_key_inactive");
        assertThat(audit("key_rotated", oldId)).hasSize(1);

        // A key of its own earlier expiry keeps it, and the new key inherits it unless told otherwise.
        Instant soon = Instant.now().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
        JsonNode shortLived = owner.post("/api/keys", Map.of("name", "short", "expiresAt", soon.toString())).body();
        String shortId = shortLived.path("key").path("id").asString();
        JsonNode replacement = owner.post("/api/keys/" + shortId + "/rotate", null).body().path("key");
        assertThat(Instant.parse(key(owner, shortId).path("expiresAt").asString())).isEqualTo(soon);
        assertThat(Instant.parse(replacement.path("expiresAt").asString())).isEqualTo(soon);
        ApiClient.Response noExpiry = owner.post("/api/keys/" + replacement.path("id").asString() + "/rotate",
                "{\"expiresAt\":null}");
        assertThat(noExpiry.status()).isEqualTo(201);
        assertThat(noExpiry.body().path("key").path("expiresAt").isNull()).isTrue();
        ApiClient.Response badExpiry = owner.post("/api/keys/" + noExpiry.body().path("key").path("id").asString()
                + "/rotate", Map.of("expiresAt", "yesterday"));
        assertThat(badExpiry.status()).isEqualTo(400);
        assertThat(badExpiry.body().path("error").path("fields").has("expiresAt")).isTrue();
    }

    /**
     * A Corral with a 2-second grace period and a small API rate limit: the old key stops when the grace ends, key
     * requests count against their owner's budget, tries with wrong keys against the client's, and no secret is
     * ever logged.
     */
    @Test
    void theOldKeyStopsAfterTheGracePeriodAndKeysAreRateLimited(CapturedOutput console) throws Exception {
        List<String> secrets = new ArrayList<>();
        try (SeparateCorral corral = SeparateCorral.start(dataDir, "--corral.api-keys.rotation-grace=2s",
                "--corral.rate-limit.api-per-minute=20", "--corral.logging.dir=" + logDir)) {
            ApiClient admin = corral.admin();
            ApiClient owner = separateUser(corral, admin);
            JsonNode created = owner.post("/api/keys", Map.of("name", "rotating")).body();
            String oldSecret = created.path("secret").asString();
            ApiClient.Response rotated = owner.post("/api/keys/" + created.path("key").path("id").asString()
                    + "/rotate", null);
            String newSecret = rotated.body().path("secret").asString();
            secrets.addAll(List.of(oldSecret, newSecret));
            ApiClient oldKey = new ApiClient(corral.baseUrl()).withHeader("Authorization", "Bearer " + oldSecret);
            ApiClient newKey = new ApiClient(corral.baseUrl()).withHeader("Authorization", "Bearer " + newSecret);
            assertThat(oldKey.get("/api/me").status()).isEqualTo(200);
            assertThat(newKey.get("/api/me").status()).isEqualTo(200);
            // Not polled: every request with the old key counts against the owner's small budget.
            Instant graceEnd = Instant.parse(key(owner, created.path("key").path("id").asString())
                    .path("expiresAt").asString());
            Thread.sleep(Math.max(0, Duration.between(Instant.now(), graceEnd).toMillis()) + 100);
            ApiClient.Response afterGrace = oldKey.get("/api/me");
            assertThat(afterGrace.status()).isEqualTo(401);
            assertThat(afterGrace.errorCode()).isEqualTo("invalid_api_key");
            assertThat(newKey.get("/api/me").status()).isEqualTo(200);
            JsonNode items = owner.get("/api/keys").body().path("items");
            assertThat(items.findValuesAsString("status")).containsExactlyInAnyOrder("active", "expired");

            // The owner's budget (20 a minute) is shared by the key and the session.
            int status = 200;
            for (int i = 0; i < 25 && status != 429; i++) {
                status = newKey.get("/api/me").status();
            }
            assertThat(status).isEqualTo(429);
            assertThat(owner.get("/api/me").status()).isEqualTo(429);
            // Another user's key has its own.
            ApiClient other = separateUser(corral, admin);
            String otherSecret = other.post("/api/keys", Map.of("name", "other")).body().path("secret").asString();
            secrets.add(otherSecret);
            assertThat(new ApiClient(corral.baseUrl()).withHeader("Authorization", "Bearer " + otherSecret)
                    .get("/api/me").status()).isEqualTo(200);
            // Trying wrong keys is limited per client address.
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 25 && !statuses.contains(429); i++) {
                statuses.add(new ApiClient(corral.baseUrl())
                        .withHeader("Authorization", "Bearer crl_AAAAAAAA_" + UUID.randomUUID().toString()
                                .replace("-", "").substring(0, 32) + "A".repeat(11))
                        .get("/api/me").status());
            }
            assertThat(statuses.getFirst()).isEqualTo(401);
            assertThat(statuses).contains(429);
        }
        String logs = console.getAll() + allFiles(logDir);
        for (String secret : secrets) {
            assertThat(logs).doesNotContain(secret).doesNotContain(secret.substring(13));
        }
    }

    @Test
    @ExtendWith(PostgresDatabase.class)
    void keysWorkTheSameOnPostgresql() {
        try (SeparateCorral corral = SeparateCorral.start(dataDir,
                "--corral.database-url=" + PostgresDatabase.createDatabase(), "--corral.api-keys.rotation-grace=0s")) {
            ApiClient admin = corral.admin();
            ApiClient owner = separateUser(corral, admin);
            JsonNode created = owner.post("/api/keys", Map.of("name", "pg",
                    "expiresAt", Instant.now().plus(Duration.ofDays(30)).toString())).body();
            String id = created.path("key").path("id").asString();
            ApiClient tool = new ApiClient(corral.baseUrl())
                    .withHeader("Authorization", "Bearer " + created.path("secret").asString());
            assertThat(tool.get("/api/me").status()).isEqualTo(200);
            assertThat(owner.get("/api/keys").body().path("items").get(0).path("lastUsedAt").isNull()).isFalse();
            JsonNode rotated = owner.post("/api/keys/" + id + "/rotate", null).body();
            // A grace period of 0 ends the old key at once.
            assertThat(tool.get("/api/me").status()).isEqualTo(401);
            ApiClient newTool = new ApiClient(corral.baseUrl())
                    .withHeader("Authorization", "Bearer " + rotated.path("secret").asString());
            assertThat(newTool.get("/api/me").status()).isEqualTo(200);
            assertThat(admin.get("/api/admin/keys").body().path("items")).hasSize(2);
            assertThat(admin.delete("/api/admin/keys/" + rotated.path("key").path("id").asString()).status())
                    .isEqualTo(204);
            assertThat(newTool.get("/api/me").status()).isEqualTo(401);
            assertThat(owner.get("/api/keys").body().path("items").findValuesAsString("status"))
                    .containsExactlyInAnyOrder("revoked", "expired");
        }
    }

    // ------------------------------------------------------------------ helpers

    private ApiClient withKey(String secret) {
        return new ApiClient(baseUrl()).withHeader("Authorization", "Bearer " + secret);
    }

    private static JsonNode createKey(ApiClient client, String name) {
        ApiClient.Response created = client.post("/api/keys", Map.of("name", name));
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        return created.body();
    }

    private static JsonNode key(ApiClient owner, String id) {
        return owner.get("/api/keys").body().path("items").valueStream()
                .filter(k -> k.path("id").asString().equals(id)).findFirst().orElseThrow();
    }

    private List<Map<String, Object>> audit(String action, String targetId) {
        return jdbc.sql("SELECT * FROM audit_log WHERE action = ? AND target_id = ?").params(action, targetId)
                .query().listOfRows();
    }

    private static ApiClient separateUser(SeparateCorral corral, ApiClient admin) {
        String name = "u" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(admin.post("/api/admin/users", Map.of("username", name, "password", PASSWORD)).status())
                .isEqualTo(201);
        ApiClient user = corral.anonymous();
        assertThat(user.signIn(name, PASSWORD).status()).isEqualTo(200);
        return user;
    }

    private static String allFiles(Path dir) throws IOException {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.toList()) {
                all.append(Files.readString(file));
            }
        }
        return all.toString();
    }
}
