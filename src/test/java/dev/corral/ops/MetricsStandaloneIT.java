package dev.corral.ops;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import tools.jackson.databind.JsonNode;

import dev.corral.CorralApplication;
import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.SharedStandIn;
import dev.corral.testsupport.StandInOllama;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Corral of its own, with METRICS_TOKEN set and its counters starting from zero: a Prometheus server scrapes with
 * the token, and an answer's event stream counts as a request without weighing on the latency percentiles.
 */
class MetricsStandaloneIT {

    private static final String TOKEN = "a-long-random-metrics-token-0123456789";
    private static final String ADMIN_PASSWORD = "admin-password-1";
    private static final StandInOllama OLLAMA = SharedStandIn.get();

    @TempDir
    static Path dataDir;
    private static ConfigurableApplicationContext corral;
    private static String baseUrl;

    @BeforeAll
    static void start() {
        corral = new SpringApplicationBuilder(CorralApplication.class).run("--server.port=0",
                "--corral.data-dir=" + dataDir, "--corral.ollama.base-url=" + OLLAMA.baseUrl(),
                "--corral.admin.username=admin", "--corral.admin.password=" + ADMIN_PASSWORD,
                "--corral.metrics.token=" + TOKEN);
        baseUrl = "http://127.0.0.1:" + ((WebServerApplicationContext) corral).getWebServer().getPort();
    }

    @AfterAll
    static void stop() {
        if (corral != null) {
            corral.close();
        }
    }

    private static ApiClient admin() {
        ApiClient admin = new ApiClient(baseUrl);
        assertThat(admin.signIn("admin", ADMIN_PASSWORD).status()).isEqualTo(200);
        return admin;
    }

    @Test
    void aPrometheusServerScrapesWithTheTokenAndOnlyWithIt() {
        ApiClient prometheus = new ApiClient(baseUrl).withHeader("Authorization", "Bearer " + TOKEN);
        ApiClient.Response scraped = prometheus.get("/metrics");
        assertThat(scraped.status()).isEqualTo(200);
        assertThat(scraped.raw()).contains("jvm_memory_used_bytes");

        ApiClient.Response openMetrics = new ApiClient(baseUrl).withHeader("Authorization", "Bearer " + TOKEN)
                .withHeader("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
                .get("/metrics");
        assertThat(openMetrics.header("Content-Type")).startsWith("application/openmetrics-text");
        assertThat(openMetrics.raw().strip()).endsWith("# EOF");

        for (String header : new String[] {"Bearer wrong-token", "Bearer " + TOKEN + "x", "Basic " + TOKEN,
                "Bearer "}) {
            ApiClient.Response refused = new ApiClient(baseUrl).withHeader("Authorization", header).get("/metrics");
            assertThat(refused.status()).as(header).isEqualTo(401);
            assertThat(refused.errorCode()).as(header).isEqualTo("unauthenticated");
        }
        assertThat(new ApiClient(baseUrl).get("/metrics").status()).isEqualTo(401);
        // The token opens the scrape endpoint only, not the admin page's summary or the API.
        assertThat(prometheus.get("/metrics/summary").status()).isEqualTo(401);
        assertThat(prometheus.get("/api/admin/users").status()).isEqualTo(401);
        // Admins still get in with their session.
        assertThat(admin().get("/metrics").status()).isEqualTo(200);
    }

    @Test
    void anEventStreamCountsAsARequestButNotInTheLatencyPercentiles() {
        ApiClient admin = admin();
        ApiClient.Response created = admin.post("/api/conversations", Map.of("model", "llama3.2:latest"));
        String id = created.body().path("id").asString();
        OLLAMA.reset();
        OLLAMA.setReply("Streamed slowly enough to last a while.");
        OLLAMA.setTokenDelay(Duration.ofMillis(30));
        assertThat(admin.chat(id, "Hello").getLast().name()).isEqualTo("done");
        OLLAMA.reset();

        String route = "/api/conversations/{conversationId}/messages";
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        JsonNode stream;
        do {
            stream = MetricsIT.route(admin.get("/metrics/summary").body(), "POST", route);
        } while ((stream == null || stream.path("sinceStart").path("requests").asLong() == 0)
                && System.nanoTime() < deadline);
        assertThat(stream).as("route " + route).isNotNull();
        assertThat(stream.path("sinceStart").path("requests").asLong()).isEqualTo(1);
        assertThat(stream.path("sinceStart").path("p95Ms").isNull()).isTrue();
        assertThat(stream.path("lastFiveMinutes").path("requests").asLong()).isEqualTo(1);
    }
}
