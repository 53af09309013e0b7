package dev.corral.chat;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

import jakarta.annotation.PreDestroy;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.slf4j.MDC;
import org.springframework.core.Ordered;
import org.springframework.session.web.http.SessionRepositoryFilter;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Runs the requests that start an answer (the session, the account check, storing the turn) on a few platform
 * threads (half the CPUs, at least one), in arrival order, while the request's own virtual thread waits parked.
 *
 * <p>Why: starting an answer costs a few milliseconds of CPU, relaying a token a few microseconds. Virtual threads
 * are scheduled first come, first served and are never preempted: a burst of a thousand chat starts on virtual
 * threads put every token of every answer already streaming behind the whole burst (bench/README.md). On platform
 * threads the operating system schedules the burst, and preempts it for the threads that relay tokens (which sleep
 * between tokens, so they are served first); with at most half the CPUs busy starting chats, the other half is left
 * to answers already streaming. The burst takes longer to get through; running answers do not stutter.
 *
 * <p>The event stream is handed back to the container's thread before it goes asynchronous
 * ({@link #onContainerThread}): Tomcat dispatches a write listener on the connection's lock, which the container
 * thread holds while it waits here.
 */
@Component
class ChatStartAdmission extends OncePerRequestFilter implements Ordered {

    private static final Pattern CHAT_START =
            Pattern.compile("^/api/conversations/[^/]+/messages(/[^/]+/regenerate)?/?$");
    private static final String AFTER_START = ChatStartAdmission.class.getName() + ".afterStart";

    private final ExecutorService starters = Executors.newFixedThreadPool(
            Math.max(1, Runtime.getRuntime().availableProcessors() / 2),
            Thread.ofPlatform().name("chat-start-", 1).daemon().factory());

    /**
     * Runs {@code work} on the container's thread: now when the request is already there, else when the admitted
     * start returns to it (before the request ends).
     */
    static void onContainerThread(HttpServletRequest request, Runnable work) {
        if (request.getAttribute(AFTER_START) instanceof AtomicReference<?> pending) {
            @SuppressWarnings("unchecked")
            AtomicReference<Runnable> afterStart = (AtomicReference<Runnable>) pending;
            afterStart.set(work);
        } else {
            work.run();
        }
    }

    /** Before the session is loaded from the database: that is part of the work moved off virtual threads. */
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
        AtomicReference<Runnable> afterStart = new AtomicReference<>();
        request.setAttribute(AFTER_START, afterStart);
        // The request id (set by the request log filter, which ran on this thread) goes along to the log lines.
        Map<String, String> logContext = MDC.getCopyOfContextMap();
        Future<?> start = starters.submit(() -> {
            if (logContext != null) {
                MDC.setContextMap(logContext);
            }
            try {
                chain.doFilter(request, response);
            } finally {
                MDC.clear();
            }
            return null;
        });
        try {
            awaitUninterruptibly(start);
        } finally {
            request.removeAttribute(AFTER_START);
        }
        Runnable work = afterStart.get();
        if (work != null) {
            work.run();
        }
    }

    /** The start uses this request until it is done: waiting for it cannot be cut short. */
    private static void awaitUninterruptibly(Future<?> start) throws IOException, ServletException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    start.get();
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    switch (e.getCause()) {
                        case IOException io -> throw io;
                        case ServletException servlet -> throw servlet;
                        case RuntimeException runtime -> throw runtime;
                        case Error error -> throw error;
                        default -> throw new ServletException(e.getCause());
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @PreDestroy
    void stop() {
        starters.shutdown();
    }
}
