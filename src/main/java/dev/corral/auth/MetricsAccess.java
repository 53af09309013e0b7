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
        // An API key with the admin role (the later security issue) will be accepted here too.
        return admin.authorize(authentication, context);
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
