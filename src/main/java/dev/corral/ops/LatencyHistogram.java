package dev.corral.ops;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A fixed log-scale latency histogram: 44 buckets whose upper bounds grow by 40% from 100 µs to past two minutes, so
 * a percentile read from it (interpolated inside its bucket) stays within 40% of the truth whatever the traffic, in
 * constant memory. Recording is one lock-free increment.
 */
final class LatencyHistogram {

    private static final double FIRST_BOUND_MICROS = 100;
    private static final double GROWTH = 1.4;
    private static final double LOG_GROWTH = Math.log(GROWTH);
    /** Upper bound (µs) of each bucket but the last, which takes everything longer. */
    private static final double[] BOUNDS;
    static final int BUCKETS;

    static {
        int n = 1;
        while (FIRST_BOUND_MICROS * Math.pow(GROWTH, n - 1) < 120_000_000) {
            n++;
        }
        BOUNDS = new double[n];
        for (int i = 0; i < n; i++) {
            BOUNDS[i] = FIRST_BOUND_MICROS * Math.pow(GROWTH, i);
        }
        BUCKETS = n + 1;
    }

    private LatencyHistogram() {
    }

    static int bucketOf(long micros) {
        if (micros <= FIRST_BOUND_MICROS) {
            return 0;
        }
        int i = (int) Math.ceil(Math.log(micros / FIRST_BOUND_MICROS) / LOG_GROWTH);
        // Guard against rounding at the bounds.
        if (i > 0 && micros <= BOUNDS[Math.min(i, BOUNDS.length) - 1]) {
            i--;
        }
        return Math.min(i, BOUNDS.length);
    }

    static void record(AtomicLongArray counts, int offset, long micros) {
        counts.incrementAndGet(offset + bucketOf(micros));
    }

    /**
     * The {@code quantile} (0-1) of the counts in milliseconds, interpolating linearly inside the bucket; null when
     * there is nothing counted.
     */
    static Double percentileMillis(long[] counts, double quantile) {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        if (total == 0) {
            return null;
        }
        long rank = Math.max(1, (long) Math.ceil(quantile * total));
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == 0) {
                continue;
            }
            if (seen + counts[i] >= rank) {
                double lower = i == 0 ? 0 : BOUNDS[i - 1];
                if (i >= BOUNDS.length) {
                    return lower / 1000; // longer than the last bound: report the bound
                }
                double upper = BOUNDS[i];
                double fraction = (double) (rank - seen) / counts[i];
                return (lower + (upper - lower) * fraction) / 1000;
            }
            seen += counts[i];
        }
        return BOUNDS[BOUNDS.length - 1] / 1000;
    }
}
