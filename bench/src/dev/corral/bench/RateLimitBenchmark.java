package dev.corral.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

import org.springframework.mock.web.MockHttpServletRequest;

import dev.corral.config.CorralProperties;
import dev.corral.ratelimit.EndpointClass;
import dev.corral.ratelimit.RateLimiter;
import dev.corral.web.TrustedProxies;

/**
 * What one rate-limit check costs: {@link RateLimiter#check} called directly in a loop (no HTTP), for a few client
 * populations, after a warm-up. Checks are timed in batches of 1,000 with System.nanoTime; the table shows the
 * per-check time of the median and the 99th-percentile batch, and the slowest batch. The "request" rows add what
 * the filter does before the check: classifying the request and resolving the client IP through a trusted proxy's
 * X-Forwarded-For. Run with {@code bench/run.sh ratelimit [--checks N]}.
 */
public final class RateLimitBenchmark {

    private static final int BATCH = 1_000;

    private interface Check {
        void run(int i);
    }

    public static void main(String[] args) throws Exception {
        int checks = 1_000_000;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--checks")) {
                checks = Integer.parseInt(args[++i]);
            }
        }
        System.out.printf(Locale.ROOT, "Rate-limit check cost (%,d checks per row after %,d warm-up; batches of %,d)%n%n",
                checks, checks, BATCH);
        System.out.printf(Locale.ROOT, "%-46s %12s %10s %10s %10s %10s%n",
                "scenario", "checks", "p50 ns", "p99 ns", "max ns", "tracked");

        // Limits far above the load so that every check takes the consume path, as almost all real requests do.
        CorralProperties.RateLimit generous = new CorralProperties.RateLimit(true, 1_000_000_000, 1_000_000_000,
                1_000_000_000, 1_000_000_000, 100_000);
        row("1 client (hot bucket)", checks, limiterFor(generous), (limiter, i) ->
                limiter.check(EndpointClass.API, "principal:alice", 1));
        String[] ips = addresses(10_000);
        row("10,000 IPs round-robin", checks, limiterFor(generous), (limiter, i) ->
                limiter.check(EndpointClass.API, ips[i % ips.length], 1));
        String[] users = new String[1_000];
        Arrays.setAll(users, i -> "principal:user-" + i);
        row("1,000 users, 4 classes, multipliers 1-3", checks, limiterFor(generous), (limiter, i) ->
                limiter.check(EndpointClass.values()[i & 3], users[i % users.length], 1 + (i % 3)));
        String[] spray = addresses(2_000_000);
        row("IP spray: new IP each check (100k bound)", checks, limiterFor(generous), (limiter, i) ->
                limiter.check(EndpointClass.SIGN_IN, spray[i % spray.length], 1));
        CorralProperties.RateLimit tight = new CorralProperties.RateLimit(true, 5, 20, 100, 300, 100_000);
        row("1,000 IPs over the limit (429 path)", checks, limiterFor(tight), (limiter, i) ->
                limiter.check(EndpointClass.SIGN_IN, ips[i % 1_000], 1));

        TrustedProxies proxies = new TrustedProxies(List.of("10.0.0.0/8"));
        MockHttpServletRequest[] requests = new MockHttpServletRequest[10_000];
        for (int i = 0; i < requests.length; i++) {
            MockHttpServletRequest request = new MockHttpServletRequest("POST", "/api/conversations/c" + i + "/messages");
            request.setRemoteAddr("10.0.0.1");
            request.addHeader("X-Forwarded-For", "1.2.3.4, " + ips[i] + ", 10.0.0.2");
            requests[i] = request;
        }
        row("request: classify + XFF client IP + check", checks, limiterFor(generous), (limiter, i) -> {
            MockHttpServletRequest request = requests[i % requests.length];
            limiter.check(EndpointClass.of(request), "ip:" + proxies.clientAddress(request), 1);
        });

        concurrent(4, checks, limiterFor(generous), ips);
    }

    private interface LimiterCheck {
        void run(RateLimiter limiter, int i);
    }

    private static RateLimiter limiterFor(CorralProperties.RateLimit settings) {
        return new RateLimiter(settings);
    }

    private static void row(String name, int checks, RateLimiter limiter, LimiterCheck check) {
        Check bound = i -> check.run(limiter, i);
        run(bound, checks); // warm-up
        long[] batches = run(bound, checks);
        print(name, checks, batches, limiter.trackedClients());
    }

    private static long[] run(Check check, int checks) {
        long[] batches = new long[checks / BATCH];
        int i = 0;
        for (int b = 0; b < batches.length; b++) {
            long started = System.nanoTime();
            for (int end = i + BATCH; i < end; i++) {
                check.run(i);
            }
            batches[b] = System.nanoTime() - started;
        }
        return batches;
    }

    private static void concurrent(int threads, int checks, RateLimiter limiter, String[] ips) throws Exception {
        for (int round = 0; round < 2; round++) { // the first round is the warm-up
            List<long[]> results = new ArrayList<>();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> running = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int offset = t * 2_500;
                long[] batches = new long[checks / threads / BATCH];
                results.add(batches);
                running.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    int i = 0;
                    for (int b = 0; b < batches.length; b++) {
                        long started = System.nanoTime();
                        for (int end = i + BATCH; i < end; i++) {
                            limiter.check(EndpointClass.API, ips[(offset + i) % ips.length], 1);
                        }
                        batches[b] = System.nanoTime() - started;
                    }
                }));
            }
            start.countDown();
            for (Thread thread : running) {
                thread.join();
            }
            if (round == 1) {
                long[] all = results.stream().flatMapToLong(Arrays::stream).toArray();
                print(threads + " threads, 10,000 IPs, shared limiter", checks, all, limiter.trackedClients());
            }
        }
    }

    private static void print(String name, int checks, long[] batches, int tracked) {
        long[] sorted = batches.clone();
        Arrays.sort(sorted);
        double p50 = sorted[sorted.length / 2] / (double) BATCH;
        double p99 = sorted[Math.min(sorted.length - 1, (int) (sorted.length * 0.99))] / (double) BATCH;
        double max = sorted[sorted.length - 1] / (double) BATCH;
        System.out.printf(Locale.ROOT, "%-46s %,12d %10.0f %10.0f %10.0f %,10d%n", name, checks, p50, p99, max, tracked);
    }

    private static String[] addresses(int count) {
        String[] addresses = new String[count];
        for (int i = 0; i < count; i++) {
            addresses[i] = "ip:" + (10 + (i >>> 16)) + "." + ((i >>> 8) & 255) + "." + (i & 255) + ".1";
        }
        return addresses;
    }
}
