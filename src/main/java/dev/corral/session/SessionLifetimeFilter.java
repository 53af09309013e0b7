package dev.corral.session;

import java.io.IOException;
import java.util.Objects;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

import org.springframework.core.Ordered;
import org.springframework.session.web.http.SessionRepositoryFilter;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

import dev.corral.web.TrustedProxies;

/**
 * Right after Spring Session's filter (which ends sessions idle for longer than their idle timeout): ends a session
 * older than SESSION_MAX_LIFETIME however active it is, so that the request goes on signed out (401 on the API,
 * like an expired session, and the cookie is cleared). A younger session's idle timeout is shortened to what is
 * left of its lifetime, so the stored expiry time (and the clean-up job) honour the lifetime too. It also keeps the
 * session's IP and browser description current for the list of sessions (written only when they change).
 */
@Component
class SessionLifetimeFilter extends OncePerRequestFilter implements Ordered {

    private final SessionConfig.SessionTimeouts timeouts;
    private final TrustedProxies trustedProxies;

    SessionLifetimeFilter(SessionConfig.SessionTimeouts timeouts, TrustedProxies trustedProxies) {
        this.timeouts = timeouts;
        this.trustedProxies = trustedProxies;
    }

    @Override
    public int getOrder() {
        return SessionRepositoryFilter.DEFAULT_ORDER + 1;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        HttpSession session = request.getRequestedSessionId() == null ? null : request.getSession(false);
        if (session != null) {
            long now = System.currentTimeMillis();
            long end = session.getCreationTime() + timeouts.maxLifetime().toMillis();
            if (now >= end) {
                session.invalidate();
            } else {
                long leftSeconds = Math.ceilDiv(end - now, 1000L);
                int maxInactive = (int) Math.min(timeouts.idle().toSeconds(), leftSeconds);
                if (session.getMaxInactiveInterval() != maxInactive) {
                    session.setMaxInactiveInterval(maxInactive);
                }
                if (session.getAttribute(SessionService.REF) != null) {
                    refresh(session, SessionService.IP, trustedProxies.clientAddress(request));
                    refresh(session, SessionService.BROWSER, Browsers.describe(request.getHeader("User-Agent")));
                }
            }
        }
        chain.doFilter(request, response);
    }

    private static void refresh(HttpSession session, String name, String value) {
        if (!Objects.equals(session.getAttribute(name), value)) {
            session.setAttribute(name, value);
        }
    }
}
