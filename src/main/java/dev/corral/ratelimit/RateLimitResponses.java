package dev.corral.ratelimit;

import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.servlet.http.HttpServletResponse;

import org.springframework.stereotype.Component;

import dev.corral.audit.AuditAction;
import dev.corral.audit.AuditLog;
import dev.corral.web.ErrorCode;
import dev.corral.web.ErrorResponses;

/** The RateLimit-* headers (IETF draft "RateLimit header fields for HTTP") on every limited response, and the 429. */
@Component
class RateLimitResponses {

    /** A flood must not become an audit-log flood: one entry per bucket per this many ms. */
    private static final long AUDIT_INTERVAL_MS = 60_000;
    private static final int MAX_AUDIT_THROTTLE_ENTRIES = 10_000;

    private final ErrorResponses errors;
    private final AuditLog audit;
    /** Bucket key -> when its last rate_limited entry was written. */
    private final ConcurrentHashMap<String, Long> lastAudited = new ConcurrentHashMap<>();

    RateLimitResponses(ErrorResponses errors, AuditLog audit) {
        this.errors = errors;
        this.audit = audit;
    }

    /**
     * Sets the headers; returns false (having written the 429) when the request must stop here. A refusal is
     * audited as rate_limited, at most once a minute per bucket; {@code principalId} is the user (or null for a
     * client IP bucket).
     */
    boolean apply(RateLimiter.Decision decision, HttpServletResponse response, EndpointClass endpointClass,
                  String bucketKey, String principalId, String clientIp) throws IOException {
        boolean allowed = apply(decision, response);
        if (!allowed) {
            auditRefusal(decision, endpointClass, bucketKey, principalId, clientIp);
        }
        return allowed;
    }

    private void auditRefusal(RateLimiter.Decision decision, EndpointClass endpointClass, String bucketKey,
                              String principalId, String clientIp) {
        long now = System.currentTimeMillis();
        String throttleKey = endpointClass + " " + bucketKey;
        Long last = lastAudited.get(throttleKey);
        if (last != null && now - last < AUDIT_INTERVAL_MS) {
            return;
        }
        if (lastAudited.size() >= MAX_AUDIT_THROTTLE_ENTRIES) {
            lastAudited.clear();
        }
        lastAudited.put(throttleKey, now);
        audit.event(AuditAction.RATE_LIMITED).actor(principalId, null).ip(clientIp).failure()
                .detail(endpointClass.name().toLowerCase(java.util.Locale.ROOT) + " limit " + decision.limit()
                        + "/min reached; further refusals of this client in the next minute are not recorded")
                .record();
    }

    /** Sets the headers; returns false (having written the 429) when the request must stop here. */
    private boolean apply(RateLimiter.Decision decision, HttpServletResponse response) throws IOException {
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
