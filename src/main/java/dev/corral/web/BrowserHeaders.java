package dev.corral.web;

/**
 * The browser-protection header values, in one place: Spring Security's headers DSL (dev.corral.auth.SecurityConfig)
 * writes them on every response that passes through Spring, and {@link TomcatJsonErrors} on the few Tomcat answers
 * itself, before Spring sees the request.
 */
public final class BrowserHeaders {

    /**
     * Scripts and styles come only from Corral's own built files (the UI has no inline script or style element, and
     * Svelte sets dynamic styles through the CSSOM, which CSP does not restrict); nothing may frame Corral.
     */
    public static final String CONTENT_SECURITY_POLICY = String.join("; ",
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'");

    /** Powerful browser features Corral never uses, denied to it and to anything it might embed. */
    public static final String PERMISSIONS_POLICY = String.join(", ",
            "camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()", "serial=()", "hid=()",
            "magnetometer=()", "gyroscope=()", "accelerometer=()", "display-capture=()");

    public static final String REFERRER_POLICY = "no-referrer";

    /** HSTS lifetime: one year, the minimum browsers' preload lists accept. */
    public static final long HSTS_MAX_AGE_SECONDS = 365L * 24 * 60 * 60;

    private BrowserHeaders() {
    }
}
