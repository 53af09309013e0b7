package dev.corral.web;

import java.io.IOException;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

import dev.corral.config.CorralProperties;

/**
 * Answers 413 payload_too_large to a request body over MAX_REQUEST_BODY. Hand-written because nothing in the stack
 * covers it: Tomcat's maxPostSize and maxSwallowSize apply to form posts and to unread leftovers, not to a JSON body
 * the application reads. A declared Content-Length over the limit is refused before anything runs; a chunked body
 * (no length) is counted as it is read and the read that crosses the limit throws, so the JSON parser, and with it
 * the controller, fails before anything is stored.
 */
@Component
class RequestBodyLimitFilter extends OncePerRequestFilter implements Ordered {

    private final long maxBytes;
    private final ErrorResponses errors;

    RequestBodyLimitFilter(CorralProperties properties, ErrorResponses errors) {
        this.maxBytes = properties.maxRequestBody().toBytes();
        this.errors = errors;
    }

    @Override
    public int getOrder() {
        // After Spring Security's filters (order -100), so that a 413 carries the security headers too.
        return 0;
    }

    static ApiException tooLarge(long maxBytes) {
        return new ApiException(ErrorCode.PAYLOAD_TOO_LARGE,
                "The request body is larger than the " + maxBytes + " bytes this server accepts.");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (request.getContentLengthLong() > maxBytes) {
            errors.write(response, ErrorCode.PAYLOAD_TOO_LARGE, tooLarge(maxBytes).getMessage());
            return;
        }
        chain.doFilter(new HttpServletRequestWrapper(request) {
            private ServletInputStream counted;

            @Override
            public ServletInputStream getInputStream() throws IOException {
                if (counted == null) {
                    counted = new CountingInputStream(super.getInputStream(), maxBytes);
                }
                return counted;
            }
        }, response);
    }

    private static final class CountingInputStream extends ServletInputStream {
        private final ServletInputStream in;
        private final long maxBytes;
        private long read;

        CountingInputStream(ServletInputStream in, long maxBytes) {
            this.in = in;
            this.maxBytes = maxBytes;
        }

        private int counted(int n) {
            if (n > 0) {
                read += n;
                if (read > maxBytes) {
                    throw tooLarge(maxBytes);
                }
            }
            return n;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                counted(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            return counted(in.read(buffer, offset, length));
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }
    }
}
