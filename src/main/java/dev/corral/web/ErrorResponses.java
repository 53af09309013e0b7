package dev.corral.web;

import java.io.IOException;

import jakarta.servlet.http.HttpServletResponse;

import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;

import tools.jackson.databind.json.JsonMapper;

/** Writes the JSON error body where no controller advice applies (security filters, the servlet error page). */
@Component
public class ErrorResponses {

    private final JsonMapper json;
    private final ErrorMetrics metrics;

    public ErrorResponses(JsonMapper json, MeterRegistry registry) {
        this.json = json;
        this.metrics = new ErrorMetrics(registry);
    }

    public void write(HttpServletResponse response, ErrorCode code, String message) throws IOException {
        if (response.isCommitted()) {
            return;
        }
        response.resetBuffer();
        response.setStatus(code.status().value());
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write(json.writeValueAsString(ErrorBody.of(code, message)));
        response.flushBuffer();
        metrics.count(code);
    }
}
