package dev.corral.ratelimit;

import java.io.IOException;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The second half of {@link ClientRateLimitFilter}: runs inside Spring Security once the session (or, later, an API
 * key) has been read, and limits the requests left to it per principal, with the principal's multiplier, or per
 * client IP when the credentials identified nobody (an expired session, a made-up cookie).
 */
public class SignedInRateLimitFilter extends OncePerRequestFilter {

    private final RateLimiter limiter;
    private final RateLimitResponses responses;

    SignedInRateLimitFilter(RateLimiter limiter, RateLimitResponses responses) {
        this.limiter = limiter;
        this.responses = responses;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (request.getAttribute(ClientRateLimitFilter.DEFERRED) instanceof EndpointClass endpointClass) {
            request.removeAttribute(ClientRateLimitFilter.DEFERRED);
            RateLimitPrincipal.Principal principal = RateLimitPrincipal.of(request);
            String client = (String) request.getAttribute(ClientRateLimitFilter.CLIENT);
            String bucket = principal != null ? "principal:" + principal.id() : "ip:" + client;
            RateLimiter.Decision decision = limiter.check(endpointClass, bucket,
                    principal != null ? principal.multiplier() : 1);
            if (!responses.apply(decision, response, endpointClass, bucket,
                    principal != null ? principal.id() : null, client)) {
                return;
            }
        }
        chain.doFilter(request, response);
    }
}
