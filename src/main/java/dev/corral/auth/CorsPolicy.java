package dev.corral.auth;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import java.io.IOException;

import org.springframework.http.server.ServerHttpResponse;
import org.springframework.http.server.ServletServerHttpResponse;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.DefaultCorsProcessor;
import org.springframework.web.cors.UrlBasedCorsConfigurationSource;
import org.springframework.web.filter.CorsFilter;

import dev.corral.web.ErrorCode;
import dev.corral.web.ErrorResponses;

/**
 * CORS_ORIGINS as Spring Security's CORS configuration for /api/**. Cross-origin calls carry the user's cookies, so
 * only exact origins are accepted: a wildcard (or anything that is not scheme://host[:port]) stops the start.
 */
final class CorsPolicy {

    private CorsPolicy() {
    }

    /**
     * Spring's CORS filter for the security chain, answering a refused origin with the API's JSON error (403
     * forbidden) instead of Spring's plain-text "Invalid CORS request".
     */
    static CorsFilter filter(List<String> origins, ErrorResponses errors) {
        CorsFilter filter = new CorsFilter(of(origins));
        filter.setCorsProcessor(new DefaultCorsProcessor() {
            @Override
            protected void rejectRequest(ServerHttpResponse response) throws IOException {
                if (response instanceof ServletServerHttpResponse servlet) {
                    errors.write(servlet.getServletResponse(), ErrorCode.FORBIDDEN,
                            "This origin may not call Corral's API (see CORS_ORIGINS).");
                } else {
                    super.rejectRequest(response);
                }
            }
        });
        return filter;
    }

    static UrlBasedCorsConfigurationSource of(List<String> origins) {
        List<String> exact = origins.stream().map(String::strip).filter(o -> !o.isEmpty()).toList();
        for (String origin : exact) {
            if (origin.contains("*")) {
                throw new IllegalStateException("CORS_ORIGINS must list exact origins: '" + origin + "' is refused"
                        + " because cross-origin requests to Corral carry the user's credentials (cookies).");
            }
            URI uri;
            try {
                uri = URI.create(origin);
            } catch (IllegalArgumentException e) {
                throw notAnOrigin(origin);
            }
            boolean webScheme = "http".equals(uri.getScheme()) || "https".equals(uri.getScheme());
            if (!webScheme || uri.getHost() == null || (uri.getRawPath() != null && !uri.getRawPath().isEmpty())
                    || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
                throw notAnOrigin(origin);
            }
        }
        CorsConfiguration config = new CorsConfiguration();
        config.setAllowedOrigins(exact);
        config.setAllowCredentials(true);
        config.setAllowedMethods(List.of("GET", "POST", "PUT", "PATCH", "DELETE"));
        config.setAllowedHeaders(List.of("Content-Type", "Accept", "Authorization", "X-XSRF-TOKEN", "X-Request-Id"));
        config.setExposedHeaders(List.of("X-Request-Id", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining",
                "RateLimit-Reset"));
        config.setMaxAge(Duration.ofHours(1));
        UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();
        source.registerCorsConfiguration("/api/**", config);
        return source;
    }

    private static IllegalStateException notAnOrigin(String origin) {
        return new IllegalStateException("CORS_ORIGINS: '" + origin
                + "' is not an origin; write scheme://host[:port], e.g. https://app.example.com");
    }
}
