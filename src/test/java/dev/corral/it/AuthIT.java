package dev.corral.it;

import java.net.HttpCookie;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.IntegrationTest;

import static org.assertj.core.api.Assertions.assertThat;

class AuthIT extends IntegrationTest {

    @Test
    void signInSetsAHardenedSessionCookieAndSignOutEndsIt() throws Exception {
        ApiClient client = anonymous();
        assertThat(client.get("/api/me").errorCode()).isEqualTo("unauthenticated");

        ApiClient.Response signIn = client.signIn(ADMIN, ADMIN_PASSWORD);
        assertThat(signIn.status()).isEqualTo(200);
        assertThat(signIn.body().path("username").asString()).isEqualTo(ADMIN);
        assertThat(signIn.body().path("role").asString()).isEqualTo("admin");
        assertThat(signIn.body().has("passwordHash")).isFalse();
        String setCookie = signIn.http().headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("CORRAL_SESSION=")).findFirst().orElseThrow();
        assertThat(setCookie).contains("HttpOnly").contains("SameSite=Lax").doesNotContain("Secure");
        String firstSession = client.cookie("CORRAL_SESSION");

        assertThat(client.get("/api/me").body().path("username").asString()).isEqualTo(ADMIN);

        // Signing in again issues a new session id (no session fixation).
        assertThat(client.signIn(ADMIN, ADMIN_PASSWORD).status()).isEqualTo(200);
        assertThat(client.cookie("CORRAL_SESSION")).isNotEqualTo(firstSession);

        assertThat(client.post("/api/auth/logout", null).status()).isEqualTo(204);
        assertThat(client.get("/api/me").status()).isEqualTo(401);
    }

    @Test
    void wrongPasswordAndUnknownUserGetTheSameAnswer() throws Exception {
        ApiClient.Response wrong = anonymous().signIn(ADMIN, "not-the-password");
        ApiClient.Response unknown = anonymous().signIn("nobody-here", "not-the-password");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.raw()).isEqualTo(unknown.raw());
        assertThat(wrong.errorCode()).isEqualTo("invalid_credentials");
        ApiClient.Response caseInsensitive = anonymous().signIn(ADMIN.toUpperCase(), ADMIN_PASSWORD);
        assertThat(caseInsensitive.status()).isEqualTo(200);
    }

    @Test
    void stateChangingRequestsNeedTheCsrfToken() throws Exception {
        ApiClient client = admin();
        ApiClient noToken = anonymous().withoutCsrf();
        noToken.ensureCsrfCookie();
        ApiClient.Response refused = noToken.post("/api/auth/login", Map.of("username", ADMIN, "password", ADMIN_PASSWORD));
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.errorCode()).isEqualTo("csrf_invalid");

        // A signed-in session without the header cannot create anything.
        ApiClient.Response created = client.post("/api/conversations", Map.of("model", "llama3.2"));
        assertThat(created.status()).isEqualTo(201);
        ApiClient sameSessionNoToken = anonymous();
        sameSessionNoToken.signIn(ADMIN, ADMIN_PASSWORD);
        sameSessionNoToken.withoutCsrf();
        assertThat(sameSessionNoToken.post("/api/conversations", Map.of("model", "llama3.2")).errorCode())
                .isEqualTo("csrf_invalid");
    }

    @Test
    void adminManagesAccountsAndDisablingEndsSessionsAtOnce() throws Exception {
        ApiClient admin = admin();
        ApiClient.Response created = admin.post("/api/admin/users",
                Map.of("username", "Carol.Tester", "password", PASSWORD, "role", "user"));
        assertThat(created.status()).isEqualTo(201);
        String carolId = created.body().path("id").asString();
        assertThat(admin.post("/api/admin/users", Map.of("username", "carol.tester", "password", PASSWORD)).errorCode())
                .isEqualTo("username_taken");
        ApiClient.Response weak = admin.post("/api/admin/users", Map.of("username", "dave", "password", "short"));
        assertThat(weak.errorCode()).isEqualTo("validation_failed");
        assertThat(weak.body().path("error").path("fields").has("password")).isTrue();
        assertThat(admin.post("/api/admin/users", Map.of("username", "x", "password", PASSWORD)).errorCode())
                .isEqualTo("validation_failed");
        assertThat(admin.post("/api/admin/users", Map.of("username", "erin", "password", PASSWORD, "role", "root"))
                .errorCode()).isEqualTo("malformed_request");

        JsonNode list = admin.get("/api/admin/users").body().path("items");
        assertThat(list.findValuesAsString("username")).contains("Carol.Tester", ADMIN);

        ApiClient carol = anonymous();
        assertThat(carol.signIn("carol.tester", PASSWORD).status()).isEqualTo(200);
        assertThat(carol.get("/api/conversations").status()).isEqualTo(200);
        assertThat(carol.get("/api/admin/users").errorCode()).isEqualTo("forbidden");
        assertThat(carol.post("/api/admin/users", Map.of("username", "mallory", "password", PASSWORD)).status())
                .isEqualTo(403);

        assertThat(admin.patch("/api/admin/users/" + carolId, Map.of("enabled", false)).body().path("enabled")
                .asBoolean()).isFalse();
        // Her existing session stops working on the very next request.
        assertThat(carol.get("/api/conversations").errorCode()).isEqualTo("unauthenticated");
        assertThat(anonymous().signIn("Carol.Tester", PASSWORD).errorCode()).isEqualTo("invalid_credentials");

        admin.patch("/api/admin/users/" + carolId, Map.of("enabled", true));
        assertThat(anonymous().signIn("Carol.Tester", PASSWORD).status()).isEqualTo(200);
        assertThat(admin.patch("/api/admin/users/nope", Map.of("enabled", false)).status()).isEqualTo(404);
        assertThat(admin.patch("/api/admin/users/" + carolId, Map.of()).errorCode()).isEqualTo("validation_failed");
    }

    @Test
    void theLastActiveAdminCannotBeDisabled() throws Exception {
        ApiClient admin = admin();
        String adminId = admin.get("/api/me").body().path("id").asString();
        ApiClient.Response refused = admin.patch("/api/admin/users/" + adminId, Map.of("enabled", false));
        assertThat(refused.errorCode()).isEqualTo("last_admin");
        assertThat(admin.get("/api/me").status()).isEqualTo(200);
    }

    @Test
    void sessionCookieIsOnlyACookie() throws Exception {
        ApiClient client = admin();
        HttpCookie session = client.cookies().stream().filter(c -> c.getName().equals("CORRAL_SESSION")).findFirst()
                .orElseThrow();
        assertThat(session.isHttpOnly()).isTrue();
        // No session id in URLs.
        assertThat(anonymous().get("/api/me;jsessionid=" + session.getValue()).status()).isIn(400, 401, 404);
    }
}
