package dev.corral.ops;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

import jakarta.servlet.http.HttpServletResponse;

import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;

import org.springframework.http.server.observation.ServerRequestObservationContext;
import org.springframework.stereotype.Component;

/**
 * The numbers behind {@code /metrics/summary}: for each route (method + URI template, exactly as the
 * {@code http.server.requests} metric names it) a ring of 60 one-minute buckets and a since-start total, each holding
 * request and error counts and a {@link LatencyHistogram}. Fed by Spring's HTTP server observation, so it sees
 * every request including those the security filters refuse.
 *
 * <p>Bounded: at most {@value #MAX_ROUTES} routes (URIs Spring could not match, 404s and any overflow share the
 * route "UNKNOWN"), 61 windows of 48 counters each, allocated only for minutes that had traffic. Cheap: recording is
 * a map lookup and a few atomic increments, with no lock.
 *
 * <p>Event streams (answers streaming to the browser) are counted as requests but left out of the latency
 * percentiles: they last as long as the answer, which says nothing about how quickly Corral responds.
 */
@Component
class RequestStatistics implements ObservationHandler<ServerRequestObservationContext> {

    static final int MAX_ROUTES = 200;
    static final int MINUTES = 60;
    static final String UNKNOWN = "UNKNOWN";

    private static final String STARTED_KEY = RequestStatistics.class.getName() + ".started";
    private static final RouteKey UNKNOWN_ROUTE = new RouteKey("*", UNKNOWN);

    // Layout of a window's counters: four totals, then the histogram.
    private static final int REQUESTS = 0;
    private static final int SERVER_ERRORS = 1;
    private static final int CLIENT_ERRORS = 2;
    private static final int TIMED = 3;
    private static final int HISTOGRAM = 4;
    private static final int WINDOW_SIZE = HISTOGRAM + LatencyHistogram.BUCKETS;

    record RouteKey(String method, String uri) {
    }

    /** Counts of one window, copied out. */
    record Counts(long requests, long serverErrors, long clientErrors, long[] histogram) {

        static Counts empty() {
            return new Counts(0, 0, 0, new long[LatencyHistogram.BUCKETS]);
        }

        Counts plus(Counts other) {
            long[] sum = histogram.clone();
            for (int i = 0; i < sum.length; i++) {
                sum[i] += other.histogram[i];
            }
            return new Counts(requests + other.requests, serverErrors + other.serverErrors,
                    clientErrors + other.clientErrors, sum);
        }
    }

    record RouteCounts(RouteKey route, Counts lastFiveMinutes, Counts sinceStart) {
    }

    record MinuteCounts(Instant start, Counts counts) {
    }

    /** Everything the summary needs, read in one pass. */
    record Snapshot(Instant startedAt, Instant now, Instant fiveMinuteWindowStart, List<RouteCounts> routes,
                    List<MinuteCounts> lastHour) {
    }

    /** One window's counters; a minute bucket knows its minute so a stale one is recognised and replaced. */
    private static final class Window {
        final long minute;
        final AtomicLongArray counters = new AtomicLongArray(WINDOW_SIZE);

        Window(long minute) {
            this.minute = minute;
        }

        void record(int status, long micros) {
            counters.incrementAndGet(REQUESTS);
            if (status >= 500) {
                counters.incrementAndGet(SERVER_ERRORS);
            } else if (status >= 400) {
                counters.incrementAndGet(CLIENT_ERRORS);
            }
            if (micros >= 0) {
                counters.incrementAndGet(TIMED);
                LatencyHistogram.record(counters, HISTOGRAM, micros);
            }
        }

        Counts counts() {
            long[] histogram = new long[LatencyHistogram.BUCKETS];
            for (int i = 0; i < histogram.length; i++) {
                histogram[i] = counters.get(HISTOGRAM + i);
            }
            return new Counts(counters.get(REQUESTS), counters.get(SERVER_ERRORS), counters.get(CLIENT_ERRORS),
                    histogram);
        }
    }

    private static final class Route {
        final Window total = new Window(-1);
        final AtomicReferenceArray<Window> minutes = new AtomicReferenceArray<>(MINUTES);

        void record(long minute, int status, long micros) {
            total.record(status, micros);
            minuteWindow(minute).record(status, micros);
        }

        private Window minuteWindow(long minute) {
            int slot = (int) (minute % MINUTES);
            while (true) {
                Window current = minutes.get(slot);
                if (current != null && current.minute == minute) {
                    return current;
                }
                // The slot holds an hour-old minute (or nothing): start it afresh. A request recorded into the old
                // window at this very instant is lost from the minute series (not from the total); that is fine.
                Window fresh = new Window(minute);
                if (minutes.compareAndSet(slot, current, fresh)) {
                    return fresh;
                }
            }
        }

        /** The window of {@code minute}, or empty counts when that minute had no traffic. */
        Counts countsAt(long minute) {
            Window window = minutes.get((int) (minute % MINUTES));
            return window != null && window.minute == minute ? window.counts() : Counts.empty();
        }
    }

    private final Map<RouteKey, Route> routes = new ConcurrentHashMap<>();
    private final long startedAtMillis = System.currentTimeMillis();

    @Override
    public boolean supportsContext(Observation.Context context) {
        return context instanceof ServerRequestObservationContext;
    }

    @Override
    public void onStart(ServerRequestObservationContext context) {
        context.put(STARTED_KEY, System.nanoTime());
    }

    @Override
    public void onStop(ServerRequestObservationContext context) {
        Long started = context.get(STARTED_KEY);
        HttpServletResponse response = context.getResponse();
        if (started == null || response == null) {
            return;
        }
        long micros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - started);
        String contentType = response.getContentType();
        boolean eventStream = contentType != null && contentType.startsWith("text/event-stream");
        record(route(context, response.getStatus()), response.getStatus(), eventStream ? -1 : micros);
    }

    /** Records one request; {@code micros} < 0 counts it without a latency (an event stream). */
    void record(RouteKey key, int status, long micros) {
        long minute = System.currentTimeMillis() / 60_000;
        Route route = routes.get(key);
        if (route == null) {
            route = routes.size() >= MAX_ROUTES && !key.equals(UNKNOWN_ROUTE)
                    ? routes.computeIfAbsent(UNKNOWN_ROUTE, k -> new Route())
                    : routes.computeIfAbsent(key, k -> new Route());
        }
        route.record(minute, status, micros);
    }

    /**
     * The route as http.server.requests tags it (the convention's key values are set before handlers are told of
     * the stop). Requests no controller took (refused by security, or a 404 from the catch-all static resource
     * handler "/**") are one route, UNKNOWN.
     */
    private static RouteKey route(ServerRequestObservationContext context, int status) {
        KeyValue uri = context.getLowCardinalityKeyValue("uri");
        KeyValue method = context.getLowCardinalityKeyValue("method");
        String template = uri != null ? uri.getValue() : context.getPathPattern();
        if (template == null || template.equals("UNKNOWN") || template.equals("NOT_FOUND")
                || template.equals("REDIRECTION") || (status == 404 && template.equals("/**"))
                || method == null || method.getValue().equals("UNKNOWN")) {
            return UNKNOWN_ROUTE;
        }
        return new RouteKey(method.getValue(), template);
    }

    Snapshot snapshot() {
        long nowMillis = System.currentTimeMillis();
        long minute = nowMillis / 60_000;
        long fiveMinuteStart = Math.max(startedAtMillis, (minute - 4) * 60_000);
        Counts[] hour = new Counts[MINUTES];
        Arrays.setAll(hour, i -> Counts.empty());
        List<RouteCounts> perRoute = new ArrayList<>();
        routes.forEach((key, route) -> {
            Counts five = Counts.empty();
            for (int i = 0; i < MINUTES; i++) {
                Counts c = route.countsAt(minute - (MINUTES - 1) + i);
                hour[i] = hour[i].plus(c);
                if (i >= MINUTES - 5) {
                    five = five.plus(c);
                }
            }
            perRoute.add(new RouteCounts(key, five, route.total.counts()));
        });
        perRoute.sort(Comparator.comparingLong((RouteCounts r) -> r.sinceStart().requests()).reversed()
                .thenComparing(r -> r.route().uri()).thenComparing(r -> r.route().method()));
        List<MinuteCounts> lastHour = new ArrayList<>(MINUTES);
        for (int i = 0; i < MINUTES; i++) {
            lastHour.add(new MinuteCounts(Instant.ofEpochMilli((minute - (MINUTES - 1) + i) * 60_000), hour[i]));
        }
        return new Snapshot(Instant.ofEpochMilli(startedAtMillis), Instant.ofEpochMilli(nowMillis),
                Instant.ofEpochMilli(fiveMinuteStart), perRoute, lastHour);
    }
}
