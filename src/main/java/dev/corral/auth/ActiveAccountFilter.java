package dev.corral.auth;

import java.io.IOException;
import java.util.Optional;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

import dev.corral.user.SignedInUser;
import dev.corral.ratelimit.RateLimitPrincipal;
import dev.corral.user.User;
import dev.corral.user.UserService;
import dev.corral.web.RequestLogContext;

/**
 * Re-reads the account behind a session on every request, so that disabling an account (or changing its role)
 * takes effect at once instead of when the session expires. One primary-key lookup per request. The account's id
 * goes into the request's log context from here on.
 */
class ActiveAccountFilter extends OncePerRequestFilter {

    private final UserService users;

    ActiveAccountFilter(UserService users) {
        this.users = users;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        SecurityContext context = SecurityContextHolder.getContext();
        Authentication authentication = context.getAuthentication();
        // A request authenticated by an API key was read fresh by ApiKeyAuthenticationFilter a moment ago.
        if (authentication != null && authentication.getPrincipal() instanceof SignedInUser signedIn
                && !signedIn.viaApiKey()) {
            Optional<User> current = users.findById(signedIn.id()).filter(User::enabled);
            if (current.isEmpty()) {
                SecurityContextHolder.clearContext();
                HttpSession session = request.getSession(false);
                if (session != null) {
                    session.invalidate();
                }
            } else {
                RequestLogContext.signedIn(request, signedIn.id());
                RateLimitPrincipal.set(request, signedIn.id(), current.get().rateLimitMultiplier());
                if (current.get().role() != signedIn.role()) {
                    SignedInUser refreshed = new SignedInUser(current.get());
                    refreshed.eraseCredentials();
                    context.setAuthentication(UsernamePasswordAuthenticationToken.authenticated(
                            refreshed, null, refreshed.getAuthorities()));
                }
            }
        }
        chain.doFilter(request, response);
    }
}
