package dev.corral.ratelimit;

import java.io.IOException;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

import dev.corral.web.TrustedProxies;

/**
 * The per-client-IP limits, before Spring Security does any authentication work, so that a flood is refused for
 * the price of a map lookup. Sign-in and health are always limited here. Other requests that carry credentials
 * (a session cookie or an Authorization header) are left to {@link SignedInRateLimitFilter}, which limits them per
 * principal once authentication has identified one, or per IP after all when it has not.
 */
@Component
class ClientRateLimitFilter extends OncePerRequestFilter implements Ordered {

    static final String DEFERRED = ClientRateLimitFilter.class.getName() + ".deferred";
    static final String CLIENT = ClientRateLimitFilter.class.getName() + ".client";

    private final RateLimiter limiter;
    private final RateLimitResponses responses;
    private final TrustedProxies trustedProxies;

    ClientRateLimitFilter(RateLimiter limiter, RateLimitResponses responses, TrustedProxies trustedProxies) {
        this.limiter = limiter;
        this.responses = responses;
        this.trustedProxies = trustedProxies;
    }

    @Override
    public int getOrder() {
        // After the request log filter (so refusals are logged with their request id), before Spring Security (-100).
        return -101;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !limiter.enabled();
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        EndpointClass endpointClass = EndpointClass.of(request);
        if (endpointClass == null) {
            chain.doFilter(request, response);
            return;
        }
        String client = trustedProxies.clientAddress(request);
        boolean perIp = endpointClass == EndpointClass.SIGN_IN || endpointClass == EndpointClass.HEALTH
                || (request.getRequestedSessionId() == null && request.getHeader("Authorization") == null);
        if (perIp) {
            if (!responses.apply(limiter.check(endpointClass, "ip:" + client, 1), response, endpointClass,
                    "ip:" + client, null, client)) {
                return;
            }
        } else {
            request.setAttribute(DEFERRED, endpointClass);
            request.setAttribute(CLIENT, client);
        }
        chain.doFilter(request, response);
    }
}
