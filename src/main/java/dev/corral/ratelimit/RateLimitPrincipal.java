package dev.corral.ratelimit;

import jakarta.servlet.http.HttpServletRequest;

/**
 * The hook between authentication and the per-principal limits: whatever authenticates a request (the session
 * today, API keys later) calls {@link #set} with the principal's id and its admin-set multiplier, and the request is
 * then limited per principal instead of per client IP.
 */
public final class RateLimitPrincipal {

    private static final String ATTRIBUTE = RateLimitPrincipal.class.getName();

    record Principal(String id, int multiplier) {
    }

    private RateLimitPrincipal() {
    }

    /** {@code multiplier}: null or 1 for the configured limits, up to 100 to raise them. */
    public static void set(HttpServletRequest request, String principalId, Integer multiplier) {
        request.setAttribute(ATTRIBUTE, new Principal(principalId, multiplier == null ? 1 : multiplier));
    }

    static Principal of(HttpServletRequest request) {
        return request.getAttribute(ATTRIBUTE) instanceof Principal p ? p : null;
    }
}
