package dev.corral.ratelimit;

import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.EnableScheduling;

/** Scheduling for {@link RateLimiter#evictIdle()}; the per-principal filter for the security configuration to place. */
@Configuration(proxyBeanMethods = false)
@EnableScheduling
public class RateLimitConfig {

    /** Not a bean: a Filter bean would also run as a servlet filter, outside Spring Security where it belongs. */
    private final SignedInRateLimitFilter signedInFilter;

    RateLimitConfig(RateLimiter limiter, RateLimitResponses responses) {
        this.signedInFilter = new SignedInRateLimitFilter(limiter, responses);
    }

    public SignedInRateLimitFilter signedInFilter() {
        return signedInFilter;
    }
}
