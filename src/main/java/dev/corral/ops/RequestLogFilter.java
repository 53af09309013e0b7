package dev.corral.ops;

import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.ServletResponseWrapper;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.apache.catalina.connector.ResponseFacade;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.servlet.HandlerMapping;

import dev.corral.config.CorralProperties;
import dev.corral.web.RequestLogContext;
import dev.corral.web.TrustedProxies;

/**
 * Gives every request an id (X-Request-Id on the response, {@code requestId} in every log line of the request) and
 * writes one access log line per request when it ends, plus a WARN for slow ones. Runs before Spring Security so
 * that rejected requests are logged too.
 *
 * <p>The access line names the route by its template ({@code /api/conversations/{id}}), never the raw path, so that
 * ids stay out of the log; nothing else of the request (headers, cookies, body) is logged. Requests no controller
 * matched are named like Micrometer names them: NOT_FOUND, REDIRECTION or UNKNOWN (e.g. refused by Spring Security).
 */
@Component
class RequestLogFilter extends OncePerRequestFilter implements Ordered {

    static final String REQUEST_ID_HEADER = "X-Request-Id";
    /** The logger of the access log (access.log and the console); {@code logging.level.corral.access=off} silences it. */
    static final String ACCESS_LOGGER = "corral.access";

    private static final Logger access = LoggerFactory.getLogger(ACCESS_LOGGER);
    private static final Logger log = LoggerFactory.getLogger(RequestLogFilter.class);
    /** What a proxy may send as a request id: short and harmless in a log line or a header. */
    private static final Pattern VALID_REQUEST_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final TrustedProxies trustedProxies;
    private final long slowRequestNanos;

    RequestLogFilter(TrustedProxies trustedProxies, CorralProperties properties) {
        this.trustedProxies = trustedProxies;
        this.slowRequestNanos = properties.logging().slowRequestThreshold().toNanos();
    }

    @Override
    public int getOrder() {
        // Before every other filter (Spring Security's chain is at -100), so that all their log lines carry the id.
        return Ordered.HIGHEST_PRECEDENCE;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        long started = System.nanoTime();
        String requestId = requestId(request);
        response.setHeader(REQUEST_ID_HEADER, requestId);
        MDC.put(RequestLogContext.REQUEST_ID, requestId);
        try {
            chain.doFilter(request, response);
        } finally {
            if (request.isAsyncStarted()) {
                request.getAsyncContext().addListener(new LogWhenComplete(requestId, started));
            } else {
                logRequest(request, response, requestId, started);
            }
            MDC.remove(RequestLogContext.REQUEST_ID);
            MDC.remove(RequestLogContext.USER_ID);
        }
    }

    /** A proxy's id when a trusted proxy sent a well-formed one (so log lines correlate across hops), else a new one. */
    private String requestId(HttpServletRequest request) {
        String offered = request.getHeader(REQUEST_ID_HEADER);
        if (offered != null && VALID_REQUEST_ID.matcher(offered).matches() && trustedProxies.isFromTrustedProxy(request)) {
            return offered;
        }
        return UUID.randomUUID().toString();
    }

    private void logRequest(HttpServletRequest request, HttpServletResponse response, String requestId, long started) {
        long durationMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        String userId = RequestLogContext.userId(request);
        // The id may be missing from the MDC when the request ends on another thread (asynchronous requests).
        MDC.put(RequestLogContext.REQUEST_ID, requestId);
        if (userId != null) {
            MDC.put(RequestLogContext.USER_ID, userId);
        }
        String method = request.getMethod();
        int status = response.getStatus();
        String route = route(request, status);
        long bytes = bytesWritten(response);
        String clientIp = request.getRemoteAddr();
        access.atInfo()
                .addKeyValue("method", method)
                .addKeyValue("path", route)
                .addKeyValue("status", status)
                .addKeyValue("durationMs", durationMs)
                .addKeyValue("bytes", bytes)
                .addKeyValue("clientIp", clientIp)
                .log("{} {} {} {} ms {} bytes {}", method, route, status, durationMs, bytes, clientIp);
        String contentType = response.getContentType();
        boolean streaming = contentType != null && contentType.startsWith("text/event-stream");
        // An event stream lasts as long as the answer it follows; its duration says nothing about Corral's speed.
        if (slowRequestNanos > 0 && !streaming && durationMs * 1_000_000 >= slowRequestNanos) {
            log.atWarn()
                    .addKeyValue("method", method)
                    .addKeyValue("path", route)
                    .addKeyValue("status", status)
                    .addKeyValue("durationMs", durationMs)
                    .log("Slow request: {} {} took {} ms (threshold {} ms)", method, route, durationMs,
                            TimeUnit.NANOSECONDS.toMillis(slowRequestNanos));
        }
    }

    private static String route(HttpServletRequest request, int status) {
        if (request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE) instanceof String template) {
            return template;
        }
        if (status == HttpServletResponse.SC_NOT_FOUND) {
            return "NOT_FOUND";
        }
        return status >= 300 && status < 400 ? "REDIRECTION" : "UNKNOWN";
    }

    /** Body bytes the application wrote (Tomcat counts them), or -1 when not running on Tomcat. */
    private static long bytesWritten(ServletResponse response) {
        ServletResponse unwrapped = response;
        while (unwrapped instanceof ServletResponseWrapper wrapper) {
            unwrapped = wrapper.getResponse();
        }
        return unwrapped instanceof ResponseFacade tomcat ? tomcat.getContentWritten() : -1;
    }

    private final class LogWhenComplete implements AsyncListener {
        private final String requestId;
        private final long started;

        LogWhenComplete(String requestId, long started) {
            this.requestId = requestId;
            this.started = started;
        }

        @Override
        public void onComplete(AsyncEvent event) {
            try {
                logRequest((HttpServletRequest) event.getSuppliedRequest(),
                        (HttpServletResponse) event.getSuppliedResponse(), requestId, started);
            } finally {
                MDC.remove(RequestLogContext.REQUEST_ID);
                MDC.remove(RequestLogContext.USER_ID);
            }
        }

        @Override
        public void onTimeout(AsyncEvent event) {
        }

        @Override
        public void onError(AsyncEvent event) {
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            event.getAsyncContext().addListener(this);
        }
    }
}
