package dev.corral.security;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.IntegrationTest;
import dev.corral.testsupport.SeparateCorral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** CORS is off unless CORS_ORIGINS lists exact origins; a wildcard stops the start. */
class CorsIT extends IntegrationTest {

    private static final String ALLOWED = "https://app.example.com";
    private static final String FOREIGN = "https://evil.example.net";

    private static HttpResponse<String> preflight(String baseUrl, String origin) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/conversations"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", origin)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type,x-xsrf-token").build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void offByDefault() throws Exception {
        HttpResponse<String> response = preflight(baseUrl(), FOREIGN);
        assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        assertThat(response.headers().firstValue("Access-Control-Allow-Credentials")).isEmpty();
        ApiClient.Response get = newUser().withHeader("Origin", FOREIGN).get("/api/conversations");
        assertThat(get.header("Access-Control-Allow-Origin")).isNull();
    }

    @Test
    void listedOriginsOnlyWithCredentials(@TempDir Path dataDir) throws Exception {
        try (SeparateCorral corral = SeparateCorral.start(dataDir,
                "--corral.cors-origins=" + ALLOWED + ", https://other.example.com")) {
            HttpResponse<String> allowed = preflight(corral.baseUrl(), ALLOWED);
            assertThat(allowed.statusCode()).isEqualTo(200);
            assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).hasValue(ALLOWED);
            assertThat(allowed.headers().firstValue("Access-Control-Allow-Credentials")).hasValue("true");
            assertThat(allowed.headers().firstValue("Access-Control-Allow-Methods").orElse("")).contains("POST");

            ApiClient fromApp = corral.admin().withHeader("Origin", ALLOWED);
            ApiClient.Response me = fromApp.get("/api/me");
            assertThat(me.status()).isEqualTo(200);
            assertThat(me.header("Access-Control-Allow-Origin")).isEqualTo(ALLOWED);

            HttpResponse<String> foreign = preflight(corral.baseUrl(), FOREIGN);
            assertThat(foreign.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
            assertThat(foreign.statusCode()).isEqualTo(403);
            ApiClient fromElsewhere = corral.admin().withHeader("Origin", FOREIGN);
            ApiClient.Response refused = fromElsewhere.post("/api/conversations", Map.of("model", "llama3.2:latest"));
            assertThat(refused.status()).isEqualTo(403);
            assertThat(refused.errorCode()).isEqualTo("forbidden");
            assertThat(refused.header("X-Content-Type-Options")).isEqualTo("nosniff");
            assertThat(refused.header("Access-Control-Allow-Origin")).isNull();
            assertThat(corral.admin().get("/api/conversations").body().path("items")).isEmpty();
        }
    }

    @Test
    void aWildcardIsRefusedAtStartup(@TempDir Path dataDir) {
        for (String wildcard : new String[] {"*", "https://*.example.com"}) {
            assertThatThrownBy(() -> SeparateCorral.start(dataDir, "--corral.cors-origins=" + wildcard).close())
                    .as(wildcard).rootCause().hasMessageContaining("CORS_ORIGINS").hasMessageContaining("exact origins");
        }
        assertThatThrownBy(() -> SeparateCorral.start(dataDir, "--corral.cors-origins=app.example.com/path").close())
                .rootCause().hasMessageContaining("is not an origin");
    }
}
