package dev.corral.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import org.springframework.stereotype.Component;

/**
 * Registers {@code corral.ratelimit.rejections} (no tags) so that dashboards and alerts can be set up now. It stays 0
 * until rate limiting exists (a later security issue): the limiter increments it with
 * {@code registry.counter("corral.ratelimit.rejections").increment()}, keeping the same name and no tags.
 */
@Component
class RateLimitMetrics implements MeterBinder {

    static final String REJECTIONS = "corral.ratelimit.rejections";

    @Override
    public void bindTo(MeterRegistry registry) {
        Counter.builder(REJECTIONS).description("Requests refused by a rate limit").register(registry);
    }
}
