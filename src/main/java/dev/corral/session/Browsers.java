package dev.corral.session;

/**
 * A short description of a browser from its User-Agent header ("Firefox on Linux", "Safari on iOS"), for the list
 * of sessions. Only well-known names are ever returned, so nothing the client wrote reaches the page or the audit
 * log verbatim.
 */
final class Browsers {

    static final String UNKNOWN = "Unknown browser";

    private Browsers() {
    }

    static String describe(String userAgent) {
        if (userAgent == null || userAgent.isBlank()) {
            return UNKNOWN;
        }
        // Bounded work on a header of any length: the tokens that matter come early in real user agents.
        String ua = userAgent.length() > 512 ? userAgent.substring(0, 512) : userAgent;
        String browser = browser(ua);
        String system = system(ua);
        if (browser == null) {
            return system == null ? UNKNOWN : "Unknown browser on " + system;
        }
        return system == null ? browser : browser + " on " + system;
    }

    private static String browser(String ua) {
        if (ua.contains("Edg/") || ua.contains("EdgA/") || ua.contains("EdgiOS/")) {
            return "Edge";
        }
        if (ua.contains("OPR/") || ua.contains("Opera")) {
            return "Opera";
        }
        if (ua.contains("SamsungBrowser/")) {
            return "Samsung Internet";
        }
        if (ua.contains("Vivaldi/")) {
            return "Vivaldi";
        }
        if (ua.contains("Firefox/") || ua.contains("FxiOS/")) {
            return "Firefox";
        }
        if (ua.contains("Chromium/")) {
            return "Chromium";
        }
        if (ua.contains("Chrome/") || ua.contains("CriOS/")) {
            return "Chrome";
        }
        if (ua.contains("Safari/") && (ua.contains("Version/") || ua.contains("Mobile/"))) {
            return "Safari";
        }
        if (ua.startsWith("curl/")) {
            return "curl";
        }
        if (ua.startsWith("Wget/")) {
            return "Wget";
        }
        if (ua.startsWith("Java-http-client/") || ua.startsWith("Java/")) {
            return "Java HTTP client";
        }
        if (ua.startsWith("python-requests/") || ua.startsWith("Python-urllib/") || ua.startsWith("python-httpx/")) {
            return "Python script";
        }
        if (ua.startsWith("node") || ua.startsWith("undici")) {
            return "Node.js script";
        }
        return null;
    }

    private static String system(String ua) {
        if (ua.contains("Windows")) {
            return "Windows";
        }
        if (ua.contains("Android")) {
            return "Android";
        }
        if (ua.contains("iPhone") || ua.contains("iPod")) {
            return "iOS";
        }
        if (ua.contains("iPad")) {
            return "iPadOS";
        }
        if (ua.contains("CrOS")) {
            return "ChromeOS";
        }
        if (ua.contains("Mac OS X") || ua.contains("Macintosh")) {
            return "macOS";
        }
        if (ua.contains("Linux") || ua.contains("X11")) {
            return "Linux";
        }
        return null;
    }
}
