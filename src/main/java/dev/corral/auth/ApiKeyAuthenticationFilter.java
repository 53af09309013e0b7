package dev.corral.auth;

import java.io.IOException;
import java.util.Optional;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.http.HttpHeaders;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

import dev.corral.apikey.ApiKeyService;
import dev.corral.ratelimit.RateLimitPrincipal;
import dev.corral.user.SignedInUser;
import dev.corral.web.ErrorCode;
import dev.corral.web.ErrorResponses;
import dev.corral.web.RequestLogContext;

/**
 * {@code Authorization: Bearer <API key>}: authenticates the request as the key's owner, for this request only (no
 * session is created, read or changed; a session cookie sent alongside is ignored). Only the header counts: a key in
 * the query string or a form field is never looked at. The account is read fresh, so a disabled owner's keys stop
 * at once and a role change applies at once.
 *
 * <p>A key that does not authenticate (malformed, unknown, revoked, expired, owner disabled or gone) is refused with
 * one 401 body whatever the reason, by {@link Rejection} further down the chain: after the per-IP rate limit, so that
 * trying keys costs the caller its budget, and before any authorization or controller runs.
 *
 * <p>The one exception is {@code /metrics}, where a bearer credential that is {@code METRICS_TOKEN} or does not look
 * like an API key at all is left to {@link MetricsAccess} (which answers 401 {@code unauthenticated} to a wrong one).
 */
class ApiKeyAuthenticationFilter extends OncePerRequestFilter {

    private static final String BEARER = "Bearer ";
    static final String REJECTED = ApiKeyAuthenticationFilter.class.getName() + ".rejected";

    private final ApiKeyService keys;
    private final MetricsAccess metricsAccess;

    ApiKeyAuthenticationFilter(ApiKeyService keys, MetricsAccess metricsAccess) {
        this.keys = keys;
        this.metricsAccess = metricsAccess;
    }

    /** True when the request carries bearer credentials (and so is not authenticated by the session cookie). */
    static boolean hasBearer(HttpServletRequest request) {
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        // "Bearer" alone too: the server drops the trailing space of an empty "Bearer ".
        return header != null && (header.regionMatches(true, 0, BEARER, 0, BEARER.length())
                || header.equalsIgnoreCase(BEARER.strip()));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (!hasBearer(request)) {
            chain.doFilter(request, response);
            return;
        }
        // Whatever the key turns out to be, the session plays no part in this request.
        SecurityContext context = SecurityContextHolder.createEmptyContext();
        SecurityContextHolder.setContext(context);
        String presented = request.getHeader(HttpHeaders.AUTHORIZATION).substring(BEARER.length() - 1).strip();
        if (metricsAccess.judgesBearer(request, ApiKeyService.looksLikeKey(presented))) {
            chain.doFilter(request, response);
            return;
        }
        Optional<ApiKeyService.KeyOwner> owner = keys.authenticate(presented);
        if (owner.isEmpty()) {
            request.setAttribute(REJECTED, Boolean.TRUE);
        } else {
            SignedInUser principal = new SignedInUser(owner.get().user(), owner.get().keyId());
            principal.eraseCredentials();
            context.setAuthentication(UsernamePasswordAuthenticationToken.authenticated(
                    principal, null, principal.getAuthorities()));
            RequestLogContext.signedIn(request, principal.id());
            // Limited per user (not per key), so that many keys do not multiply a user's budget.
            RateLimitPrincipal.set(request, principal.id(), owner.get().user().rateLimitMultiplier());
        }
        chain.doFilter(request, response);
    }

    /** Answers the requests whose key did not authenticate, once the rate limits have counted them. */
    static final class Rejection extends OncePerRequestFilter {

        private final ErrorResponses errors;

        Rejection(ErrorResponses errors) {
            this.errors = errors;
        }

        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            if (request.getAttribute(REJECTED) != null) {
                SecurityContextHolder.clearContext();
                // One answer for every reason, so that it tells nothing about which keys exist.
                response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"");
                errors.write(response, ErrorCode.INVALID_API_KEY, "The API key is not valid.");
                return;
            }
            chain.doFilter(request, response);
        }
    }
}
