package dev.corral.security;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.IntegrationTest;
import dev.corral.testsupport.SeparateCorral;

import static org.assertj.core.api.Assertions.assertThat;

/** The browser-protection headers are on every kind of response: HTML, JSON, event streams and errors. */
class SecurityHeadersIT extends IntegrationTest {

    private static void assertProtected(String what, HttpHeaders headers) {
        String csp = headers.firstValue("Content-Security-Policy").orElse(null);
        assertThat(csp).as(what + ": Content-Security-Policy").isNotNull()
                .contains("default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'",
                        "frame-ancestors 'none'", "form-action 'self'")
                .doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
        assertThat(headers.firstValue("X-Content-Type-Options")).as(what).hasValue("nosniff");
        assertThat(headers.firstValue("X-Frame-Options")).as(what).hasValue("DENY");
        assertThat(headers.firstValue("Referrer-Policy")).as(what).hasValue("no-referrer");
        assertThat(headers.firstValue("Permissions-Policy").orElse("")).as(what)
                .contains("camera=()", "microphone=()", "geolocation=()");
    }

    @Test
    void htmlJsonStreamsAndErrorsCarryTheHeaders() throws Exception {
        ApiClient anonymous = anonymous();
        ApiClient.Response page = anonymous.get("/");
        assertThat(page.header("Content-Type")).startsWith("text/html");
        assertProtected("the UI page", page.http().headers());
        assertProtected("a UI route", anonymous.get("/c/some-conversation").http().headers());

        ApiClient.Response unauthenticated = anonymous.get("/api/me");
        assertThat(unauthenticated.status()).isEqualTo(401);
        assertProtected("401 from the security entry point", unauthenticated.http().headers());

        ApiClient user = newUser();
        ApiClient.Response me = user.get("/api/me");
        assertThat(me.status()).isEqualTo(200);
        assertProtected("JSON 200", me.http().headers());

        ApiClient.Response notFound = user.get("/api/does-not-exist");
        assertThat(notFound.status()).isEqualTo(404);
        assertProtected("404 JSON", notFound.http().headers());

        ApiClient.Response forbidden = user.get("/api/admin/users");
        assertThat(forbidden.status()).isEqualTo(403);
        assertProtected("403 JSON", forbidden.http().headers());

        ApiClient.Response csrf = user.withoutCsrf().post("/api/conversations", Map.of("model", "llama3.2:latest"));
        assertThat(csrf.errorCode()).isEqualTo("csrf_invalid");
        assertProtected("403 csrf_invalid", csrf.http().headers());

        ApiClient streaming = newUser();
        String conversation = createConversation(streaming);
        try (ApiClient.EventStream events = streaming.stream("/api/conversations/" + conversation + "/messages",
                Map.of("content", "Hello"))) {
            assertThat(events.contentType()).startsWith("text/event-stream");
            assertThat(events.header("Content-Security-Policy")).contains("frame-ancestors 'none'");
            assertThat(events.header("X-Content-Type-Options")).isEqualTo("nosniff");
            assertThat(events.header("Referrer-Policy")).isEqualTo("no-referrer");
            assertThat(events.until("done", Duration.ofSeconds(30))).isNotNull();
        }
    }

    @Test
    void requestsTomcatRejectsCarryTheBasicHeaders() throws Exception {
        HttpResponse<String> rejected = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(baseUrl() + "/api/conversations/..%2f..%2fetc")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(rejected.statusCode()).isEqualTo(400);
        assertProtected("Tomcat's own 400", rejected.headers());
    }

    @Test
    void noStrictTransportSecurityOverPlainHttp() {
        assertThat(anonymous().get("/").header("Strict-Transport-Security")).isNull();
        assertThat(anonymous().withHeader("X-Forwarded-Proto", "https").get("/").header("Strict-Transport-Security"))
                .as("X-Forwarded-Proto is ignored without FORWARD_HEADERS_STRATEGY=native").isNull();
    }

    @Test
    void strictTransportSecurityOverHttpsThroughATrustedProxy(@TempDir Path dataDir) {
        try (SeparateCorral corral = SeparateCorral.start(dataDir, "--server.forward-headers-strategy=native")) {
            ApiClient viaProxy = corral.anonymous().withHeader("X-Forwarded-Proto", "https");
            for (String path : new String[] {"/", "/api/me", "/api/setup"}) {
                String hsts = viaProxy.get(path).header("Strict-Transport-Security");
                assertThat(hsts).as(path).isNotNull().contains("includeSubDomains");
                long maxAge = Long.parseLong(hsts.replaceAll(".*max-age=(\\d+).*", "$1"));
                assertThat(maxAge).as("at least a year").isGreaterThanOrEqualTo(31_536_000L);
            }
            assertThat(corral.anonymous().get("/").header("Strict-Transport-Security"))
                    .as("plain HTTP through the same server").isNull();
        }
    }
}
