package dev.corral.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import dev.corral.CorralApplication;
import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.SharedStandIn;

import static org.assertj.core.api.Assertions.assertThat;

/** The first admin: from CORRAL_ADMIN_* on a first start, or from the setup page; later starts ignore both. */
class FirstStartIT {

    @TempDir
    Path dataDir;

    private ConfigurableApplicationContext start(String... extra) {
        String[] args = new String[extra.length + 3];
        args[0] = "--server.port=0";
        args[1] = "--corral.data-dir=" + dataDir;
        args[2] = "--corral.ollama.base-url=" + SharedStandIn.get().baseUrl();
        System.arraycopy(extra, 0, args, 3, extra.length);
        return new SpringApplicationBuilder(CorralApplication.class).run(args);
    }

    private static ApiClient client(ConfigurableApplicationContext context) {
        int port = ((WebServerApplicationContext) context).getWebServer().getPort();
        return new ApiClient("http://127.0.0.1:" + port);
    }

    @Test
    void withoutAdminSettingsTheFirstVisitCreatesTheAdmin() throws Exception {
        try (ConfigurableApplicationContext corral = start()) {
            ApiClient browser = client(corral);
            assertThat(browser.get("/api/setup").body().path("required").asBoolean()).isTrue();
            browser.ensureCsrfCookie();
            ApiClient.Response tooShort = browser.post("/api/setup", Map.of("username", "root", "password", "short"));
            assertThat(tooShort.errorCode()).isEqualTo("validation_failed");

            ApiClient.Response created = browser.post("/api/setup",
                    Map.of("username", "root", "password", "correct-horse-battery"));
            assertThat(created.status()).isEqualTo(201);
            assertThat(created.body().path("role").asString()).isEqualTo("admin");
            // Setting up signs the admin in.
            assertThat(browser.get("/api/admin/users").status()).isEqualTo(200);
            assertThat(browser.get("/api/setup").body().path("required").asBoolean()).isFalse();

            ApiClient intruder = client(corral);
            intruder.ensureCsrfCookie();
            ApiClient.Response again = intruder.post("/api/setup",
                    Map.of("username", "intruder", "password", "correct-horse-battery"));
            assertThat(again.status()).isEqualTo(409);
            assertThat(again.errorCode()).isEqualTo("setup_done");
            assertThat(intruder.signIn("intruder", "correct-horse-battery").status()).isEqualTo(401);
        }
    }

    @Test
    void adminSettingsCreateTheAdminOnlyOnTheFirstStart() throws Exception {
        try (ConfigurableApplicationContext corral = start("--corral.admin.username=first",
                "--corral.admin.password=first-password-1")) {
            ApiClient client = client(corral);
            assertThat(client.get("/api/setup").body().path("required").asBoolean()).isFalse();
            assertThat(client.signIn("first", "first-password-1").status()).isEqualTo(200);
        }
        try (ConfigurableApplicationContext corral = start("--corral.admin.username=second",
                "--corral.admin.password=second-password-1")) {
            ApiClient client = client(corral);
            assertThat(client.signIn("second", "second-password-1").status()).isEqualTo(401);
            assertThat(client(corral).signIn("first", "first-password-1").status()).isEqualTo(200);
        }
    }

    @Test
    void theSessionCookieIsSecureWhenServedOverHttpsThroughAProxy() throws Exception {
        try (ConfigurableApplicationContext corral = start("--corral.admin.username=first",
                "--corral.admin.password=first-password-1", "--server.forward-headers-strategy=native")) {
            // Behind a TLS-terminating proxy the CSRF cookie is Secure too, so send it by hand over this plain link.
            int port = ((WebServerApplicationContext) corral).getWebServer().getPort();
            HttpClient http = HttpClient.newHttpClient();
            String token = ApiClient.JSON.readTree(http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/api/auth/csrf")).header("X-Forwarded-Proto", "https")
                    .build(), HttpResponse.BodyHandlers.ofString()).body()).path("token").asString();
            HttpResponse<String> overHttps = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/api/auth/login"))
                    .header("X-Forwarded-Proto", "https").header("Content-Type", "application/json")
                    .header("Cookie", "XSRF-TOKEN=" + token).header("X-XSRF-TOKEN", token)
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"username\":\"first\",\"password\":\"first-password-1\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(overHttps.statusCode()).isEqualTo(200);
            assertThat(sessionCookie(overHttps)).contains("Secure").contains("HttpOnly").contains("SameSite=Lax");

            ApiClient.Response overHttp = client(corral).signIn("first", "first-password-1");
            assertThat(sessionCookie(overHttp.http())).doesNotContain("Secure");
        }
    }

    private static String sessionCookie(HttpResponse<String> response) {
        return response.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("CORRAL_SESSION=")).findFirst().orElseThrow();
    }
}
