package dev.corral.ratelimit;

import java.util.regex.Pattern;

import jakarta.servlet.http.HttpServletRequest;

/** What a request costs, as far as rate limits go: each class has its own limit (see CorralProperties.RateLimit). */
public enum EndpointClass {
    /** Signing in, sign-up and the first-start setup: always per client IP, the brute-force target. */
    SIGN_IN,
    /** Starting a generation (a new message or a regenerate): the expensive call to Ollama. */
    CHAT,
    /** Every other JSON API call (and /metrics, /info). */
    API,
    /** /health and its groups, polled by orchestrators and load balancers. */
    HEALTH;

    private static final Pattern CHAT_START =
            Pattern.compile("/api/conversations/[^/]+/messages(/[^/]+/regenerate)?/?");

    /** The class of a request, or null for what is not limited (the UI and its static assets). */
    public static EndpointClass of(HttpServletRequest request) {
        // The container's decoded, normalized path without ;parameters (what Spring MVC routes on), so that
        // "/api/auth/login;x" cannot pass for another class.
        String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
        if (path.isEmpty()) {
            path = request.getRequestURI().substring(request.getContextPath().length());
        }
        boolean post = "POST".equals(request.getMethod());
        if (path.startsWith("/api/")) {
            if (post && (path.equals("/api/auth/login") || path.equals("/api/setup")
                    || path.equals("/api/auth/signup") || path.equals("/api/me/password"))) {
                return SIGN_IN;
            }
            if (post && CHAT_START.matcher(path).matches()) {
                return CHAT;
            }
            return API;
        }
        if (path.equals("/health") || path.startsWith("/health/")) {
            return HEALTH;
        }
        if (path.equals("/metrics") || path.startsWith("/metrics/") || path.equals("/info")
                || path.startsWith("/actuator")) {
            return API;
        }
        return null;
    }

    /** The tag value of the rejection counter, e.g. {@code sign_in}. */
    public String tag() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
