package dev.corral.ratelimit;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import dev.corral.config.CorralProperties;

/**
 * In-memory Bucket4j token buckets, one per (endpoint class, client) where a client is an IP address or a signed-in
 * principal. Each bucket holds a minute's worth of requests and is refilled whole every minute, so a bucket idle
 * for a minute is full again and can be dropped without changing any answer: {@link #evictIdle()} does that every minute,
 * which keeps memory proportional to the clients of the last minute. Against a spray of addresses the map is also
 * bounded: past {@code maxTrackedClients}, new clients share one overflow bucket per class (they are limited
 * together rather than not at all, and known clients keep their own).
 */
@Component
public class RateLimiter {

    /** The outcome of one check, with what the RateLimit-* headers report. */
    public record Decision(boolean allowed, long limit, long remaining, long resetSeconds, long retryAfterSeconds) {
    }

    private record Key(EndpointClass endpointClass, String client, long capacity) {
    }

    private static final class Tracked {
        final Bucket bucket;
        volatile long lastUsedNanos;

        Tracked(Bucket bucket, long now) {
            this.bucket = bucket;
            this.lastUsedNanos = now;
        }
    }

    private static final long IDLE_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final String OVERFLOW = "overflow";

    private final boolean enabled;
    private final Map<EndpointClass, Integer> perMinute = new EnumMap<>(EndpointClass.class);
    private final Map<EndpointClass, Counter> rejections = new EnumMap<>(EndpointClass.class);
    private final int maxTracked;
    private final ConcurrentHashMap<Key, Tracked> buckets = new ConcurrentHashMap<>();
    private final AtomicLong lastFullSweep = new AtomicLong(System.nanoTime());

    @Autowired
    public RateLimiter(CorralProperties properties, MeterRegistry registry) {
        this(properties.rateLimit(), registry);
    }

    /** For the benchmark and tests: no Spring needed. */
    public RateLimiter(CorralProperties.RateLimit settings) {
        this(settings, new SimpleMeterRegistry());
    }

    private RateLimiter(CorralProperties.RateLimit settings, MeterRegistry registry) {
        this.enabled = settings.enabled();
        perMinute.put(EndpointClass.SIGN_IN, settings.signInPerMinute());
        perMinute.put(EndpointClass.CHAT, settings.chatPerMinute());
        perMinute.put(EndpointClass.API, settings.apiPerMinute());
        perMinute.put(EndpointClass.HEALTH, settings.healthPerMinute());
        perMinute.forEach((endpointClass, limit) -> {
            if (limit < 1) {
                throw new IllegalArgumentException("RATE_LIMIT_*_PER_MINUTE must be at least 1 (" + endpointClass
                        + " is " + limit + "); use RATE_LIMIT_ENABLED=false to turn limits off");
            }
        });
        this.maxTracked = Math.max(1, settings.maxTrackedClients());
        for (EndpointClass endpointClass : EndpointClass.values()) {
            rejections.put(endpointClass, Counter.builder("corral.ratelimit.rejections")
                    .description("Requests refused by a rate limit").tag("class", endpointClass.tag())
                    .register(registry));
        }
    }

    public boolean enabled() {
        return enabled;
    }

    /**
     * Takes one token from {@code client}'s bucket for {@code endpointClass}. {@code multiplier} (1 for everybody
     * but users an admin raised) scales the limit.
     */
    public Decision check(EndpointClass endpointClass, String client, int multiplier) {
        long capacity = (long) perMinute.get(endpointClass) * Math.max(1, multiplier);
        long now = System.nanoTime();
        Key key = new Key(endpointClass, client, capacity);
        Tracked tracked = buckets.get(key);
        if (tracked == null) {
            if (buckets.size() >= maxTracked) {
                sweepWhenFull(now);
                key = new Key(endpointClass, OVERFLOW, capacity);
            }
            tracked = buckets.computeIfAbsent(key, k -> new Tracked(newBucket(k.capacity()), now));
        }
        tracked.lastUsedNanos = now;
        ConsumptionProbe probe = tracked.bucket.tryConsumeAndReturnRemaining(1);
        if (!probe.isConsumed()) {
            rejections.get(endpointClass).increment();
        }
        return new Decision(probe.isConsumed(), capacity, probe.getRemainingTokens(),
                seconds(probe.getNanosToWaitForReset()),
                probe.isConsumed() ? 0 : Math.max(1, seconds(probe.getNanosToWaitForRefill())));
    }

    /** Drops buckets unused for a minute: they are full again, exactly like a new one. */
    @Scheduled(fixedDelay = 60, initialDelay = 60, timeUnit = TimeUnit.SECONDS)
    public void evictIdle() {
        long now = System.nanoTime();
        buckets.values().removeIf(tracked -> now - tracked.lastUsedNanos > IDLE_NANOS);
    }

    /** Clients tracked now (for the benchmark and tests). */
    public int trackedClients() {
        return buckets.size();
    }

    private void sweepWhenFull(long now) {
        // Off the request path (a scan of the full map takes ~0.1 s) and at most every 10 s, so that a spray of
        // addresses neither stalls a request nor keeps a core busy; meanwhile new clients share the overflow bucket.
        long last = lastFullSweep.get();
        if (now - last > TimeUnit.SECONDS.toNanos(10) && lastFullSweep.compareAndSet(last, now)) {
            Thread.ofVirtual().name("rate-limit-sweep").start(this::evictIdle);
        }
    }

    private static Bucket newBucket(long capacity) {
        return Bucket.builder()
                // The whole allowance comes back at the end of each minute (counted from the bucket's creation): a
                // fixed window, which is what RateLimit-Reset describes and what a client can predict.
                .addLimit(Bandwidth.builder().capacity(capacity).refillIntervally(capacity, Duration.ofMinutes(1))
                        .build())
                .build();
    }

    private static long seconds(long nanos) {
        return (nanos + 999_999_999L) / 1_000_000_000L;
    }
}
