package dev.corral.ops;

import java.util.concurrent.atomic.AtomicLongArray;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

/** The summary's percentiles are estimates from a log-scale histogram: close enough, in constant memory. */
class LatencyHistogramTest {

    private static long[] counts(AtomicLongArray array) {
        long[] out = new long[array.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i);
        }
        return out;
    }

    @Test
    void percentilesOfAKnownDistributionAreWithinTheBucketWidth() {
        AtomicLongArray histogram = new AtomicLongArray(LatencyHistogram.BUCKETS);
        for (int ms = 1; ms <= 1000; ms++) {
            LatencyHistogram.record(histogram, 0, ms * 1000L);
        }
        long[] counts = counts(histogram);
        // Each bucket is 40% wider than the one below; interpolation inside it is off by less than that.
        assertThat(LatencyHistogram.percentileMillis(counts, 0.50)).isCloseTo(500, withinPercentage(40));
        assertThat(LatencyHistogram.percentileMillis(counts, 0.95)).isCloseTo(950, withinPercentage(40));
        assertThat(LatencyHistogram.percentileMillis(counts, 0.99)).isCloseTo(990, withinPercentage(40));
        assertThat(LatencyHistogram.percentileMillis(counts, 0.50))
                .isLessThan(LatencyHistogram.percentileMillis(counts, 0.95));
    }

    @Test
    void bucketsCoverFromSubMillisecondToMinutes() {
        assertThat(LatencyHistogram.bucketOf(0)).isZero();
        assertThat(LatencyHistogram.bucketOf(100)).isZero();
        assertThat(LatencyHistogram.bucketOf(101)).isEqualTo(1);
        assertThat(LatencyHistogram.bucketOf(140)).isEqualTo(1);
        assertThat(LatencyHistogram.bucketOf(141)).isEqualTo(2);
        assertThat(LatencyHistogram.bucketOf(Long.MAX_VALUE)).isEqualTo(LatencyHistogram.BUCKETS - 1);
        assertThat(LatencyHistogram.BUCKETS).isEqualTo(44);

        AtomicLongArray histogram = new AtomicLongArray(LatencyHistogram.BUCKETS);
        LatencyHistogram.record(histogram, 0, 3 * 60_000_000L); // three minutes: beyond the last bound
        assertThat(LatencyHistogram.percentileMillis(counts(histogram), 0.5)).isGreaterThan(100_000);
    }

    @Test
    void nothingRecordedHasNoPercentile() {
        assertThat(LatencyHistogram.percentileMillis(new long[LatencyHistogram.BUCKETS], 0.95)).isNull();
    }
}
