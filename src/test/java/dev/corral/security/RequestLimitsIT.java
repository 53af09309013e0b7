package dev.corral.security;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.IntegrationTest;

import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/** Oversized, malformed and wrongly typed input is refused with a clear JSON error, and nothing is stored. */
class RequestLimitsIT extends IntegrationTest {

    /** Over the 1MB default of MAX_REQUEST_BODY, under Tomcat's 2MB swallow limit (so the answer is read cleanly). */
    private static final int OVERSIZED = 1_500_000;

    private static String oversizedConversation() {
        return "{\"model\":\"llama3.2:latest\",\"title\":\"" + "a".repeat(OVERSIZED) + "\"}";
    }

    /** Sends the body with Transfer-Encoding: chunked (no Content-Length), with the client's session and CSRF token. */
    private static HttpResponse<String> postChunked(ApiClient client, String path, String body) throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String token = client.cookie("XSRF-TOKEN");
        HttpRequest request = HttpRequest.newBuilder(URI.create(client.baseUrl()).resolve(path))
                .header("Content-Type", "application/json")
                .header("Cookie", "CORRAL_SESSION=" + client.cookie("CORRAL_SESSION") + "; XSRF-TOKEN=" + token)
                .header("X-XSRF-TOKEN", token)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))).build();
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static void assertPayloadTooLarge(int status, String body) {
        assertThat(status).isEqualTo(413);
        assertThat(ApiClient.JSON.readTree(body).path("error").path("code").asString()).isEqualTo("payload_too_large");
    }

    @Test
    void aBodyOverTheLimitIs413AndNothingIsStored() throws Exception {
        ApiClient user = newUser();
        ApiClient.Response declared = user.postRaw("/api/conversations", oversizedConversation(), "application/json");
        assertPayloadTooLarge(declared.status(), declared.raw());
        assertThat(declared.header("X-Content-Type-Options")).isEqualTo("nosniff");

        HttpResponse<String> chunked = postChunked(user, "/api/conversations", oversizedConversation());
        assertPayloadTooLarge(chunked.statusCode(), chunked.body());
        assertThat(user.get("/api/conversations").body().path("items")).isEmpty();

        String conversation = createConversation(user);
        HttpResponse<String> message = postChunked(user, "/api/conversations/" + conversation + "/messages",
                "{\"content\":\"" + "b".repeat(OVERSIZED) + "\"}");
        assertPayloadTooLarge(message.statusCode(), message.body());
        assertThat(user.get("/api/conversations/" + conversation).body().path("messages")).isEmpty();

        // Under the limit, a chunked body works as usual.
        HttpResponse<String> small = postChunked(user, "/api/conversations", "{\"model\":\"llama3.2:latest\"}");
        assertThat(small.statusCode()).isEqualTo(201);
    }

    @Test
    void malformedWrongTypeAndUnknownEnumBodiesNameTheField() {
        ApiClient admin = admin();
        int usersBefore = admin.get("/api/admin/users").body().path("items").size();

        ApiClient.Response role = admin.post("/api/admin/users",
                Map.of("username", "roleless", "password", PASSWORD, "role", "superuser"));
        assertThat(role.status()).isEqualTo(400);
        assertThat(role.body().path("error").path("fields").path("role").asString()).contains("user", "admin");

        ApiClient.Response enabled = admin.patch("/api/admin/users/whoever", Map.of("enabled", "maybe"));
        assertThat(enabled.status()).isEqualTo(400);
        assertThat(enabled.body().path("error").path("fields").path("enabled").asString()).contains("true or false");

        ApiClient.Response malformed = admin.postRaw("/api/admin/users", "{\"username\":", "application/json");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.errorCode()).isEqualTo("malformed_request");
        assertThat(malformed.body().path("error").path("fields").path("body").asString()).contains("not valid JSON");
        assertThat(admin.get("/api/admin/users").body().path("items").size()).isEqualTo(usersBefore);

        ApiClient user = newUser();
        String conversation = createConversation(user);
        ApiClient.Response content = user.postRaw("/api/conversations/" + conversation + "/messages",
                "{\"content\":{\"text\":\"hi\"}}", "application/json");
        assertThat(content.status()).isEqualTo(400);
        assertThat(content.body().path("error").path("fields").path("content").asString()).isEqualTo("must be a string");
        ApiClient.Response temperature = user.patch("/api/conversations/" + conversation, Map.of("temperature", "hot"));
        assertThat(temperature.body().path("error").path("fields").path("temperature").asString()).contains("number");
        assertThat(user.get("/api/conversations/" + conversation).body().path("messages")).isEmpty();

        ApiClient stranger = anonymous();
        stranger.ensureCsrfCookie();
        ApiClient.Response login = stranger.postRaw("/api/auth/login", "{\"username\":[\"x\"],\"password\":\"p\"}",
                "application/json");
        assertThat(login.status()).isEqualTo(400);
        assertThat(login.body().path("error").path("fields").path("username").asString()).isEqualTo("must be a string");
        for (ApiClient.Response r : new ApiClient.Response[] {role, enabled, malformed, content}) {
            assertThat(r.raw()).doesNotContain("Exception").doesNotContain("dev.corral").doesNotContain("tools.jackson");
        }
    }

    @Test
    void hugePathIdsAndParametersAreRefusedNotCrashes() {
        ApiClient user = newUser();
        for (int length : new int[] {300, 5_000, 10_000}) {
            String id = "x".repeat(length);
            for (ApiClient.Response r : new ApiClient.Response[] {
                    user.get("/api/conversations/" + id),
                    user.patch("/api/conversations/" + id, Map.of("title", "t")),
                    user.delete("/api/conversations/" + id),
                    user.get("/api/conversations/" + id + "/messages/" + id + "/events")}) {
                assertThat(r.status()).as("id of " + length).isIn(400, 404);
                assertThat(r.errorCode()).isIn("not_found", "malformed_request");
            }
            ApiClient.Response adminPatch = admin().patch("/api/admin/users/" + id, Map.of("enabled", false));
            assertThat(adminPatch.status()).as("admin PATCH, id of " + length).isIn(400, 404);
        }
        ApiClient.Response limit = user.get("/api/conversations?limit=100000");
        assertThat(limit.body().path("error").path("fields").has("limit")).isTrue();
        ApiClient.Response cursor = user.get("/api/conversations?cursor=" + "z".repeat(3000));
        assertThat(cursor.status()).isEqualTo(400);
    }

    @Test
    void theUiLearnsTheMessageLimit() {
        assertThat(anonymous().get("/api/config").status()).isEqualTo(401);
        JsonNode config = newUser().get("/api/config").body();
        assertThat(config.path("maxMessageChars").asInt()).isEqualTo(4000);
    }
}
