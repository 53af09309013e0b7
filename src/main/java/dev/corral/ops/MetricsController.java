package dev.corral.ops;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import jakarta.servlet.http.HttpServletResponse;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import org.springframework.http.HttpHeaders;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /metrics}: everything Micrometer has, in Prometheus text format (OpenMetrics when the scraper asks for it),
 * for an admin or a Prometheus server holding METRICS_TOKEN (see auth.MetricsAccess). {@code /metrics/summary}: the
 * same traffic digested for the admin page (admins only).
 */
@RestController
class MetricsController {

    // The content types of the Prometheus client's text writers (on the runtime class path only).
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String OPEN_METRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /** Requests, latency percentiles and error rates of one route (or all of them) over one window. */
    record WindowStats(long requests, double requestsPerSecond, Double p50Ms, Double p95Ms, Double p99Ms,
                       long serverErrors, long clientErrors, double serverErrorRate, double clientErrorRate) {
    }

    record RouteStats(String method, String uri, WindowStats lastFiveMinutes, WindowStats sinceStart) {
    }

    record Overall(WindowStats lastFiveMinutes, WindowStats sinceStart) {
    }

    record Minute(Instant start, long requests, Double p95Ms) {
    }

    record Summary(Instant generatedAt, Instant startedAt, long uptimeSeconds, Instant lastFiveMinutesFrom,
                   Overall overall, List<RouteStats> routes, List<Minute> lastHour) {
    }

    private final PrometheusMeterRegistry prometheus;
    private final RequestStatistics statistics;

    MetricsController(PrometheusMeterRegistry prometheus, RequestStatistics statistics) {
        this.prometheus = prometheus;
        this.statistics = statistics;
    }

    @GetMapping("/metrics")
    void scrape(@RequestHeader(value = HttpHeaders.ACCEPT, required = false) String accept,
                HttpServletResponse response) throws IOException {
        String contentType = accept != null && accept.contains("application/openmetrics-text")
                ? OPEN_METRICS : PROMETHEUS_TEXT;
        response.setContentType(contentType);
        response.setHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        prometheus.scrape(response.getOutputStream(), contentType);
    }

    @GetMapping("/metrics/summary")
    Summary summary() {
        RequestStatistics.Snapshot snapshot = statistics.snapshot();
        double fiveMinuteSeconds = seconds(snapshot.fiveMinuteWindowStart(), snapshot.now());
        double uptimeSeconds = seconds(snapshot.startedAt(), snapshot.now());
        RequestStatistics.Counts allFive = RequestStatistics.Counts.empty();
        RequestStatistics.Counts allTotal = RequestStatistics.Counts.empty();
        List<RouteStats> routes = new ArrayList<>();
        for (RequestStatistics.RouteCounts route : snapshot.routes()) {
            allFive = allFive.plus(route.lastFiveMinutes());
            allTotal = allTotal.plus(route.sinceStart());
            routes.add(new RouteStats(route.route().method(), route.route().uri(),
                    stats(route.lastFiveMinutes(), fiveMinuteSeconds), stats(route.sinceStart(), uptimeSeconds)));
        }
        List<Minute> lastHour = snapshot.lastHour().stream()
                .map(m -> new Minute(m.start(), m.counts().requests(),
                        round(LatencyHistogram.percentileMillis(m.counts().histogram(), 0.95))))
                .toList();
        return new Summary(snapshot.now(), snapshot.startedAt(), (long) uptimeSeconds,
                snapshot.fiveMinuteWindowStart(),
                new Overall(stats(allFive, fiveMinuteSeconds), stats(allTotal, uptimeSeconds)), routes, lastHour);
    }

    private static WindowStats stats(RequestStatistics.Counts counts, double seconds) {
        long n = counts.requests();
        return new WindowStats(n, round(n / seconds),
                round(LatencyHistogram.percentileMillis(counts.histogram(), 0.50)),
                round(LatencyHistogram.percentileMillis(counts.histogram(), 0.95)),
                round(LatencyHistogram.percentileMillis(counts.histogram(), 0.99)),
                counts.serverErrors(), counts.clientErrors(),
                n == 0 ? 0 : round((double) counts.serverErrors() / n),
                n == 0 ? 0 : round((double) counts.clientErrors() / n));
    }

    /** At least one second, so that rates right after start-up stay finite. */
    private static double seconds(Instant from, Instant to) {
        return Math.max(1, Duration.between(from, to).toMillis() / 1000.0);
    }

    private static Double round(Double value) {
        return value == null ? null : Math.round(value * 1000) / 1000.0;
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
