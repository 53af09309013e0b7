package dev.corral.ops;

import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.IntegrationTest;
import dev.corral.testsupport.Prometheus;

import static org.assertj.core.api.Assertions.assertThat;

/** /metrics in Prometheus text format and /metrics/summary, as an admin and a Prometheus server see them. */
class MetricsIT extends IntegrationTest {

    private static final Duration RECORDED = Duration.ofSeconds(10);

    private static Prometheus scrape(ApiClient admin) {
        ApiClient.Response response = admin.get("/metrics");
        assertThat(response.status()).as(response.raw()).isEqualTo(200);
        assertThat(response.header("Content-Type")).startsWith("text/plain").contains("version=0.0.4");
        return new Prometheus(response.raw());
    }

    @Test
    void onlyAdminsReadMetrics() {
        ApiClient.Response anonymous = anonymous().get("/metrics");
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.errorCode()).isEqualTo("unauthenticated");
        ApiClient user = newUser();
        ApiClient.Response forbidden = user.get("/metrics");
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.errorCode()).isEqualTo("forbidden");
        assertThat(user.get("/metrics/summary").errorCode()).isEqualTo("forbidden");
        assertThat(anonymous().get("/metrics/summary").errorCode()).isEqualTo("unauthenticated");
        // METRICS_TOKEN is not set here: no bearer token opens /metrics.
        ApiClient.Response bearer = anonymous().withHeader("Authorization", "Bearer anything").get("/metrics");
        assertThat(bearer.status()).isEqualTo(401);
        assertThat(bearer.errorCode()).isEqualTo("unauthenticated");
        assertThat(admin().get("/metrics").status()).isEqualTo(200);
        assertThat(admin().get("/metrics/summary").status()).isEqualTo(200);
    }

    @Test
    void countsARequestByRouteTemplateAndStatusWithAHistogram() {
        ApiClient admin = admin();
        ApiClient user = newUser();
        String[] series = {"method=\"GET\"", "status=\"200\"", "uri=\"/api/conversations\""};
        double before = scrape(admin).sum("http_server_requests_seconds_count", series);

        assertThat(user.get("/api/conversations").status()).isEqualTo(200);

        await("the request is counted", RECORDED,
                () -> scrape(admin).sum("http_server_requests_seconds_count", series) > before);
        Prometheus after = scrape(admin);
        assertThat(after.sum("http_server_requests_seconds_count", series)).isEqualTo(before + 1);
        assertThat(after.has("http_server_requests_seconds_bucket", "uri=\"/api/conversations\"", "le=\"+Inf\""))
                .isTrue();

        // Routes with an id are counted under their template, not under each id.
        String id = createConversation(user);
        assertThat(user.get("/api/conversations/" + id).status()).isEqualTo(200);
        await("the templated route is counted", RECORDED, () -> scrape(admin)
                .has("http_server_requests_seconds_count", "uri=\"/api/conversations/{id}\""));
        assertThat(scrape(admin).toString()).doesNotContain("uri=\"/api/conversations/" + id);
    }

    @Test
    void jvmDatabasePoolOllamaAndRateLimitMetricsArePresent() {
        ApiClient admin = admin();
        assertThat(admin.get("/api/models").status()).isEqualTo(200);
        Prometheus metrics = scrape(admin);
        assertThat(metrics.has("jvm_memory_used_bytes")).isTrue();
        assertThat(metrics.has("hikaricp_connections", "pool=\"corral\"")).isTrue();
        assertThat(metrics.has("corral_ollama_latency_seconds_count", "endpoint=\"/api/tags\"", "status=\"200\""))
                .isTrue();
        assertThat(metrics.has("corral_ratelimit_rejections_total")).isTrue();
        assertThat(metrics.has("corral_chat_generations_active")).isTrue();
    }

    @Test
    void errorsAreCountedByCode() {
        ApiClient admin = admin();
        ApiClient user = newUser();
        double before = scrape(admin).sum("corral_errors_total", "code=\"not_found\"");
        ApiClient.Response missing = user.get("/api/conversations/does-not-exist");
        assertThat(missing.errorCode()).isEqualTo("not_found");
        assertThat(scrape(admin).sum("corral_errors_total", "code=\"not_found\"")).isEqualTo(before + 1);

        // Errors written by the security filters count too.
        double unauthenticated = scrape(admin).sum("corral_errors_total", "code=\"unauthenticated\"");
        assertThat(anonymous().get("/api/me").status()).isEqualTo(401);
        assertThat(scrape(admin).sum("corral_errors_total", "code=\"unauthenticated\"")).isEqualTo(unauthenticated + 1);
    }

    @Test
    void aChatRecordsTimeToFirstTokenSpeedAndOutcomeForItsModel() {
        ApiClient admin = admin();
        ApiClient user = newUser();
        String model = "qwen2.5:0.5b";
        double completed = scrape(admin).sum("corral_chat_generations_total", "outcome=\"complete\"");
        double ttft = scrape(admin).sum("corral_chat_ttft_seconds_count", "model=\"" + model + "\"");
        OLLAMA.setReply("Four words of answer.");

        String id = createConversation(user, Map.of("model", model));
        assertThat(user.chat(id, "Say four words.").getLast().data().path("message").path("status").asString())
                .isEqualTo("complete");

        await("the generation is counted", RECORDED,
                () -> scrape(admin).sum("corral_chat_generations_total", "outcome=\"complete\"") > completed);
        Prometheus after = scrape(admin);
        assertThat(after.sum("corral_chat_generations_total", "outcome=\"complete\"")).isEqualTo(completed + 1);
        assertThat(after.sum("corral_chat_ttft_seconds_count", "model=\"" + model + "\"")).isEqualTo(ttft + 1);
        assertThat(after.sum("corral_chat_tokens_per_second_count", "model=\"" + model + "\"")).isPositive();
        assertThat(after.sum("corral_chat_tokens_per_second_sum", "model=\"" + model + "\"")).isPositive();
        assertThat(after.has("corral_ollama_latency_seconds_count", "endpoint=\"/api/chat\"", "status=\"200\""))
                .isTrue();
        assertThat(after.has("corral_chat_generations_total", "outcome=\"stopped\"")).isTrue();
    }

    @Test
    void summaryCountsARequestUnderItsRouteTemplate() {
        ApiClient admin = admin();
        ApiClient user = newUser();
        String id = createConversation(user);
        long before = routeRequests(admin.get("/metrics/summary").body(), "GET", "/api/conversations/{id}");

        assertThat(user.get("/api/conversations/" + id).status()).isEqualTo(200);

        await("the summary counts the request", RECORDED, () ->
                routeRequests(admin.get("/metrics/summary").body(), "GET", "/api/conversations/{id}") > before);
        JsonNode summary = admin.get("/metrics/summary").body();
        assertThat(routeRequests(summary, "GET", "/api/conversations/{id}")).isEqualTo(before + 1);

        assertThat(summary.path("uptimeSeconds").asLong()).isNotNegative();
        for (JsonNode window : new JsonNode[] {summary.path("overall").path("lastFiveMinutes"),
                summary.path("overall").path("sinceStart")}) {
            assertThat(window.path("requests").asLong()).isPositive();
            assertThat(window.path("requestsPerSecond").asDouble()).isPositive();
            assertThat(window.path("p50Ms").asDouble()).isPositive();
            assertThat(window.path("p95Ms").asDouble()).isGreaterThanOrEqualTo(window.path("p50Ms").asDouble());
            assertThat(window.path("p99Ms").asDouble()).isGreaterThanOrEqualTo(window.path("p95Ms").asDouble());
            assertThat(window.has("serverErrorRate")).isTrue();
            assertThat(window.path("clientErrorRate").asDouble()).isBetween(0.0, 1.0);
        }
        JsonNode route = route(summary, "GET", "/api/conversations/{id}");
        assertThat(route.path("lastFiveMinutes").path("requests").asLong()).isPositive();
        assertThat(route.path("sinceStart").path("p95Ms").isNumber()).isTrue();

        JsonNode lastHour = summary.path("lastHour");
        assertThat(lastHour).hasSize(60);
        assertThat(lastHour.get(59).path("requests").asLong()
                + lastHour.get(58).path("requests").asLong()).isPositive();
        assertThat(lastHour.get(0).path("start").asString()).endsWith(":00Z");

        // Unmatched paths share one route instead of one per path.
        user.get("/api/nothing-here-" + id);
        await("the unknown route is counted", RECORDED,
                () -> routeRequests(admin.get("/metrics/summary").body(), "*", "UNKNOWN") > 0);
        assertThat(admin.get("/metrics/summary").raw()).doesNotContain("nothing-here");
    }

    @Test
    void theBuiltUiContainsTheAdminMetricsPage() {
        // Browser-free: the bundle Maven built (npm run build, type-checked by svelte-check) has the metrics panel.
        String index = anonymous().get("/admin").raw();
        Matcher script = Pattern.compile("src=\"(/assets/[^\"]+\\.js)\"").matcher(index);
        assertThat(script.find()).as(index).isTrue();
        String bundle = anonymous().get(script.group(1)).raw();
        assertThat(bundle).contains("/metrics/summary").contains("metrics-chart-caption");
    }

    static long routeRequests(JsonNode summary, String method, String uri) {
        JsonNode route = route(summary, method, uri);
        return route == null ? 0 : route.path("sinceStart").path("requests").asLong();
    }

    static JsonNode route(JsonNode summary, String method, String uri) {
        for (JsonNode route : summary.path("routes")) {
            if (route.path("method").asString().equals(method) && route.path("uri").asString().equals(uri)) {
                return route;
            }
        }
        return null;
    }
}
