package dev.corral.web;

import java.util.Map;

/** An error a client caused or must know about; rendered as {@code {"error":{"code","message"}}}. */
public class ApiException extends RuntimeException {

    private final ErrorCode code;
    private final Map<String, String> fields;

    public ApiException(ErrorCode code, String message) {
        this(code, message, Map.of());
    }

    public ApiException(ErrorCode code, String message, Map<String, String> fields) {
        super(message, null, false, false);
        this.code = code;
        this.fields = Map.copyOf(fields);
    }

    public static ApiException notFound() {
        return new ApiException(ErrorCode.NOT_FOUND, "Not found.");
    }

    public static ApiException invalid(String field, String message) {
        return new ApiException(ErrorCode.VALIDATION_FAILED, message, Map.of(field, message));
    }

    public ErrorCode code() {
        return code;
    }

    public Map<String, String> fields() {
        return fields;
    }
}
