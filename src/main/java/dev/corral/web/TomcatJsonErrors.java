package dev.corral.web;

import java.io.IOException;
import java.io.Writer;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.stereotype.Component;

/**
 * Requests that Tomcat rejects before Spring sees them (a malformed URL, an oversized header) get the API's JSON
 * error shape too, instead of Tomcat's HTML page.
 */
@Component
class TomcatJsonErrors implements WebServerFactoryCustomizer<TomcatServletWebServerFactory> {

    @Override
    public void customize(TomcatServletWebServerFactory factory) {
        factory.addContextCustomizers(context -> {
            if (context.getParent() instanceof StandardHost host) {
                host.setErrorReportValveClass(JsonErrorReportValve.class.getName());
            }
        });
    }

    public static class JsonErrorReportValve extends ErrorReportValve {

        @Override
        protected void report(Request request, Response response, Throwable throwable) {
            int status = response.getStatus();
            if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
                return;
            }
            String code = switch (status) {
                case 400 -> ErrorCode.MALFORMED_REQUEST.code();
                case 404 -> ErrorCode.NOT_FOUND.code();
                case 405 -> ErrorCode.METHOD_NOT_ALLOWED.code();
                case 413 -> ErrorCode.PAYLOAD_TOO_LARGE.code();
                default -> status >= 500 ? ErrorCode.INTERNAL_ERROR.code() : ErrorCode.MALFORMED_REQUEST.code();
            };
            try {
                // Spring Security's header writers never see these requests: the same protections, by hand.
                response.setHeader("Content-Security-Policy", BrowserHeaders.CONTENT_SECURITY_POLICY);
                response.setHeader("X-Content-Type-Options", "nosniff");
                response.setHeader("X-Frame-Options", "DENY");
                response.setHeader("Referrer-Policy", BrowserHeaders.REFERRER_POLICY);
                response.setHeader("Permissions-Policy", BrowserHeaders.PERMISSIONS_POLICY);
                response.setContentType("application/json");
                response.setCharacterEncoding("UTF-8");
                Writer writer = response.getReporter();
                if (writer != null) {
                    writer.write("{\"error\":{\"code\":\"" + code + "\",\"message\":\"The request was rejected.\"}}");
                    response.finishResponse();
                }
            } catch (IOException | IllegalStateException e) {
                // The client is gone or the response is already committed; nothing more to say.
            }
        }
    }
}
