package dev.corral.ratelimit;

import java.io.IOException;

import jakarta.servlet.http.HttpServletResponse;

import org.springframework.stereotype.Component;

import dev.corral.web.ErrorCode;
import dev.corral.web.ErrorResponses;

/** The RateLimit-* headers (IETF draft "RateLimit header fields for HTTP") on every limited response, and the 429. */
@Component
class RateLimitResponses {

    private final ErrorResponses errors;

    RateLimitResponses(ErrorResponses errors) {
        this.errors = errors;
    }

    /** Sets the headers; returns false (having written the 429) when the request must stop here. */
    boolean apply(RateLimiter.Decision decision, HttpServletResponse response) throws IOException {
        response.setHeader("RateLimit-Limit", Long.toString(decision.limit()));
        response.setHeader("RateLimit-Remaining", Long.toString(decision.remaining()));
        response.setHeader("RateLimit-Reset", Long.toString(decision.resetSeconds()));
        if (decision.allowed()) {
            return true;
        }
        response.setHeader("Retry-After", Long.toString(decision.retryAfterSeconds()));
        errors.write(response, ErrorCode.RATE_LIMITED,
                "Too many requests; try again in " + decision.retryAfterSeconds() + " s.");
        return false;
    }
}
