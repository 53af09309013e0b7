package dev.corral.web;

import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.stereotype.Component;

/**
 * Smaller per-connection socket buffers. Every open answer stream holds a connection for as long as the answer
 * runs, and what it sends (one event at a time) is small, so Tomcat's 8 KB read and write buffers per connection
 * are mostly idle heap: with a thousand streams they are tens of megabytes the garbage collector keeps scanning.
 * The per-request response buffer shrinks likewise ({@link CompactHttp11NioProtocol}), and so does the buffer for
 * response headers: Corral's own headers (security headers included) take under 2 KB, not Tomcat's default 8 KB.
 */
@Component
class TomcatConnectionBuffers implements WebServerFactoryCustomizer<TomcatServletWebServerFactory> {

    private static final String BUFFER_BYTES = "2048";
    private static final String RESPONSE_HEADER_BYTES = "4096";

    @Override
    public void customize(TomcatServletWebServerFactory factory) {
        factory.setProtocol(CompactHttp11NioProtocol.class.getName());
        factory.addConnectorCustomizers(connector -> {
            connector.setProperty("socket.appReadBufSize", BUFFER_BYTES);
            connector.setProperty("socket.appWriteBufSize", BUFFER_BYTES);
            connector.setProperty("maxHttpResponseHeaderSize", RESPONSE_HEADER_BYTES);
        });
    }
}
