package dev.corral.web;

import org.springframework.http.HttpStatus;

/** The stable, machine-readable error codes of the API (docs/API.md lists them) and the status each one carries. */
public enum ErrorCode {
    UNAUTHENTICATED(HttpStatus.UNAUTHORIZED),
    INVALID_CREDENTIALS(HttpStatus.UNAUTHORIZED),
    FORBIDDEN(HttpStatus.FORBIDDEN),
    CSRF_INVALID(HttpStatus.FORBIDDEN),
    NOT_FOUND(HttpStatus.NOT_FOUND),
    METHOD_NOT_ALLOWED(HttpStatus.METHOD_NOT_ALLOWED),
    VALIDATION_FAILED(HttpStatus.BAD_REQUEST),
    MALFORMED_REQUEST(HttpStatus.BAD_REQUEST),
    PAYLOAD_TOO_LARGE(HttpStatus.CONTENT_TOO_LARGE),
    UNSUPPORTED_MEDIA_TYPE(HttpStatus.UNSUPPORTED_MEDIA_TYPE),
    SETUP_DONE(HttpStatus.CONFLICT),
    USERNAME_TAKEN(HttpStatus.CONFLICT),
    GENERATION_IN_PROGRESS(HttpStatus.CONFLICT),
    LAST_ADMIN(HttpStatus.CONFLICT),
    SIGN_UP_CLOSED(HttpStatus.FORBIDDEN),
    ACCOUNT_PENDING(HttpStatus.FORBIDDEN),
    WRONG_PASSWORD(HttpStatus.BAD_REQUEST),
    RATE_LIMITED(HttpStatus.TOO_MANY_REQUESTS),
    OLLAMA_UNREACHABLE(HttpStatus.BAD_GATEWAY),
    OLLAMA_BUSY(HttpStatus.SERVICE_UNAVAILABLE),
    MODEL_NOT_FOUND(HttpStatus.NOT_FOUND),
    OLLAMA_ERROR(HttpStatus.BAD_GATEWAY),
    SHUTTING_DOWN(HttpStatus.SERVICE_UNAVAILABLE),
    BACKUP_IN_PROGRESS(HttpStatus.CONFLICT),
    BACKUP_UNSUPPORTED(HttpStatus.CONFLICT),
    BACKUP_FAILED(HttpStatus.INTERNAL_SERVER_ERROR),
    INVALID_API_KEY(HttpStatus.UNAUTHORIZED),
    API_KEY_LIMIT(HttpStatus.CONFLICT),
    API_KEY_INACTIVE(HttpStatus.CONFLICT),
    INTERNAL_ERROR(HttpStatus.INTERNAL_SERVER_ERROR);

    private final HttpStatus status;

    ErrorCode(HttpStatus status) {
        this.status = status;
    }

    public HttpStatus status() {
        return status;
    }

    /** The code as clients see it, e.g. {@code not_found}. */
    public String code() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
