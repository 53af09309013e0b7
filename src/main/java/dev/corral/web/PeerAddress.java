package dev.corral.web;

import java.io.IOException;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.stereotype.Component;

/**
 * The address of the direct peer of a request's connection. With FORWARD_HEADERS_STRATEGY=native Tomcat replaces
 * {@link HttpServletRequest#getRemoteAddr()} with the client address from X-Forwarded-For; deciding whether to trust
 * a proxy's headers needs the proxy's own address, which a valve records here before any filter runs.
 */
@Component
public class PeerAddress implements WebServerFactoryCustomizer<TomcatServletWebServerFactory> {

    static final String ATTRIBUTE = PeerAddress.class.getName();

    /** The connection peer's IP address (the remote address when not running on Tomcat). */
    public static String of(HttpServletRequest request) {
        return request.getAttribute(ATTRIBUTE) instanceof String peer ? peer : request.getRemoteAddr();
    }

    @Override
    public void customize(TomcatServletWebServerFactory factory) {
        factory.addContextValves(new RecordingValve());
    }

    static final class RecordingValve extends ValveBase {

        RecordingValve() {
            super(true);
        }

        @Override
        public void invoke(Request request, Response response) throws IOException, ServletException {
            request.setAttribute(ATTRIBUTE, request.getPeerAddr());
            getNext().invoke(request, response);
        }
    }
}
