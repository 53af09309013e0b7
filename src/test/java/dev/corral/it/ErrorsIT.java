package dev.corral.it;

import org.junit.jupiter.api.Test;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.IntegrationTest;

import static org.assertj.core.api.Assertions.assertThat;

/** Errors are JSON with a stable code, never a stack trace or an internal path. */
class ErrorsIT extends IntegrationTest {

    @Test
    void unknownRouteWrongMethodAndBadBodiesGetJsonErrors() throws Exception {
        ApiClient user = newUser();
        ApiClient.Response unknown = user.get("/api/does-not-exist");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.errorCode()).isEqualTo("not_found");

        ApiClient.Response method = user.delete("/api/models");
        assertThat(method.status()).isEqualTo(405);
        assertThat(method.errorCode()).isEqualTo("method_not_allowed");

        ApiClient.Response notJson = user.postRaw("/api/conversations", "model=x", "text/plain");
        assertThat(notJson.status()).isEqualTo(415);
        assertThat(notJson.errorCode()).isEqualTo("unsupported_media_type");

        ApiClient.Response array = user.postRaw("/api/conversations", "[1,2]", "application/json");
        assertThat(array.status()).isEqualTo(400);

        for (ApiClient.Response r : new ApiClient.Response[] {unknown, method, notJson, array}) {
            assertThat(r.raw()).doesNotContain("Exception").doesNotContain("dev.corral").doesNotContain("trace");
            assertThat(r.body().path("error").path("message").asString()).isNotBlank();
        }
    }

    @Test
    void requestsTomcatRejectsAlsoGetJsonErrors() throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpResponse<String> bad = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(baseUrl() + "/api/conversations/..%2f..%2fetc")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        assertThat(ApiClient.JSON.readTree(bad.body()).path("error").path("code").asString())
                .isEqualTo("malformed_request");
    }

    @Test
    void anonymousCallersGet401OnEveryApiEndpoint() throws Exception {
        ApiClient anonymous = anonymous();
        for (String path : new String[] {"/api/me", "/api/models", "/api/conversations", "/api/conversations/x",
                "/api/conversations/x/messages/y/events", "/api/admin/users"}) {
            ApiClient.Response r = anonymous.get(path);
            assertThat(r.status()).as(path).isEqualTo(401);
            assertThat(r.errorCode()).as(path).isEqualTo("unauthenticated");
        }
    }

    @Test
    void theBrowserUiIsServedForItsRoutes() throws Exception {
        ApiClient anonymous = anonymous();
        for (String path : new String[] {"/", "/login", "/setup", "/admin", "/c/some-id"}) {
            ApiClient.Response page = anonymous.get(path);
            assertThat(page.status()).as(path).isEqualTo(200);
            assertThat(page.header("Content-Type")).as(path).startsWith("text/html");
            assertThat(page.raw()).as(path).contains("<div id=\"app\"");
        }
    }
}
