package dev.corral.web;

import jakarta.servlet.http.HttpServletRequest;

import org.slf4j.MDC;

/**
 * What every log line of a request carries: its id and, once the session is read, the signed-in user's id. Both
 * live in the logging MDC (the JSON log fields {@code requestId} and {@code userId}); the user id is also kept on
 * the request so that the access log, written after Spring Security has let go of the user, still has it.
 */
public final class RequestLogContext {

    public static final String REQUEST_ID = "requestId";
    public static final String USER_ID = "userId";
    private static final String USER_ID_ATTRIBUTE = RequestLogContext.class.getName() + ".userId";

    private RequestLogContext() {
    }

    public static void signedIn(HttpServletRequest request, String userId) {
        request.setAttribute(USER_ID_ATTRIBUTE, userId);
        MDC.put(USER_ID, userId);
    }

    /** The signed-in user's id, or null for an anonymous request. */
    public static String userId(HttpServletRequest request) {
        return request.getAttribute(USER_ID_ATTRIBUTE) instanceof String id ? id : null;
    }
}
