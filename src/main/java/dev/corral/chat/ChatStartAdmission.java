package dev.corral.chat;

import java.io.IOException;
import java.util.concurrent.Semaphore;
import java.util.regex.Pattern;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.core.Ordered;
import org.springframework.session.web.http.SessionRepositoryFilter;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Lets the requests that start an answer through a few at a time (as many as there are CPUs, at least two), the
 * others waiting parked in arrival order.
 *
 * <p>Why: starting an answer costs a few milliseconds of CPU (the session, the account check, storing the turn),
 * relaying a token a few microseconds. Virtual threads are scheduled first come, first served: a burst of a
 * thousand chat starts, all runnable at once, would put every token of every answer already streaming behind the
 * whole queue. Admitted a few at a time, the burst takes about as long (the CPU work is the same, and SQLite has one
 * connection anyway), tokens queue behind a few requests instead of all of them, and a waiting request is parked
 * near the top of the filter chain with a shallow stack, not deep in it waiting for the database connection. (The
 * relay benchmark still shows the burst in its gaps, from CPU it cannot spare: bench/README.md.) Nothing here waits
 * on Ollama: the request's part ends once the turn is stored and the stream has started.
 */
@Component
class ChatStartAdmission extends OncePerRequestFilter implements Ordered {

    private static final Pattern CHAT_START =
            Pattern.compile("^/api/conversations/[^/]+/messages(/[^/]+/regenerate)?/?$");

    private final Semaphore running = new Semaphore(Math.max(2, Runtime.getRuntime().availableProcessors()), true);

    /** Before the session is loaded from the database: that is part of the work being spread out. */
    @Override
    public int getOrder() {
        return SessionRepositoryFilter.DEFAULT_ORDER - 10;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !"POST".equals(request.getMethod()) || !CHAT_START.matcher(request.getRequestURI()).matches();
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        running.acquireUninterruptibly();
        try {
            chain.doFilter(request, response);
        } finally {
            running.release();
        }
    }
}
