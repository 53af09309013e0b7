package dev.corral.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.function.Supplier;

import jakarta.servlet.http.HttpServletRequest;

import org.springframework.http.HttpHeaders;
import org.springframework.security.authorization.AuthorityAuthorizationManager;
import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.authorization.AuthorizationManager;
import org.springframework.security.authorization.AuthorizationResult;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.access.intercept.RequestAuthorizationContext;
import org.springframework.stereotype.Component;

import dev.corral.config.CorralProperties;

/**
 * Who may scrape /metrics: a signed-in admin, or a Prometheus server sending {@code Authorization: Bearer
 * <METRICS_TOKEN>} when that setting is not empty. A wrong or missing token from an anonymous caller is a 401.
 */
@Component
class MetricsAccess implements AuthorizationManager<RequestAuthorizationContext> {

    private static final String BEARER = "Bearer ";

    private final AuthorizationManager<RequestAuthorizationContext> admin = AuthorityAuthorizationManager.hasRole("ADMIN");
    /** SHA-256 of the token, or null when token access is off. */
    private final byte[] tokenDigest;

    MetricsAccess(CorralProperties properties) {
        String token = properties.metrics().token();
        this.tokenDigest = token == null || token.isBlank() ? null : sha256(token.strip());
    }

    @Override
    public AuthorizationResult authorize(Supplier<? extends Authentication> authentication,
                                         RequestAuthorizationContext context) {
        if (tokenMatches(context.getRequest())) {
            return new AuthorizationDecision(true);
        }
        // A signed-in admin, by session or by an admin's API key (ApiKeyAuthenticationFilter set the authentication).
        return admin.authorize(authentication, context);
    }

    /**
     * True when this request's bearer credential is for this class to judge rather than an API key: on /metrics, the
     * METRICS_TOKEN, or anything that does not look like a key ({@code looksLikeKey} false).
     */
    boolean judgesBearer(HttpServletRequest request, boolean looksLikeKey) {
        String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
        return "/metrics".equals(path) && (tokenMatches(request) || !looksLikeKey);
    }

    private boolean tokenMatches(HttpServletRequest request) {
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (tokenDigest == null || header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        // Comparing digests takes the same time whatever the sent token's length or content.
        return MessageDigest.isEqual(tokenDigest, sha256(header.substring(BEARER.length()).strip()));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JDK has SHA-256", e);
        }
    }
}
