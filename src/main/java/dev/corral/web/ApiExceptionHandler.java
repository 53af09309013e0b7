package dev.corral.web;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.MeterRegistry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.validation.FieldError;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.async.AsyncRequestNotUsableException;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.servlet.resource.NoResourceFoundException;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.ValueInstantiationException;
import tools.jackson.databind.json.JsonMapper;

/** Turns every exception a controller throws into the API's JSON error shape; nothing internal reaches a client. */
@RestControllerAdvice
class ApiExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    private final ErrorMetrics metrics;
    private final JsonMapper json;

    ApiExceptionHandler(MeterRegistry registry, JsonMapper json) {
        this.metrics = new ErrorMetrics(registry);
        this.json = json;
    }

    @ExceptionHandler(ApiException.class)
    ResponseEntity<ErrorBody> api(ApiException e) {
        metrics.count(e.code());
        // The content type is set explicitly so that clients asking for an event stream still get the JSON error.
        return ResponseEntity.status(e.code().status()).contentType(MediaType.APPLICATION_JSON).body(ErrorBody.of(e));
    }

    @ExceptionHandler(MethodArgumentNotValidException.class)
    ResponseEntity<ErrorBody> invalid(MethodArgumentNotValidException e) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (FieldError error : e.getBindingResult().getFieldErrors()) {
            fields.putIfAbsent(error.getField(), error.getDefaultMessage());
        }
        String message = fields.isEmpty() ? "The request is invalid."
                : fields.entrySet().iterator().next().getKey() + ": " + fields.values().iterator().next();
        return api(new ApiException(ErrorCode.VALIDATION_FAILED, message, fields));
    }

    @ExceptionHandler(HandlerMethodValidationException.class)
    ResponseEntity<ErrorBody> invalidParameter(HandlerMethodValidationException e) {
        Map<String, String> fields = new LinkedHashMap<>();
        e.getParameterValidationResults().forEach(r -> fields.putIfAbsent(
                r.getMethodParameter().getParameterName(),
                r.getResolvableErrors().isEmpty() ? "is invalid" : r.getResolvableErrors().getFirst().getDefaultMessage()));
        return api(new ApiException(ErrorCode.VALIDATION_FAILED, "A parameter is invalid.", fields));
    }

    @ExceptionHandler({MethodArgumentTypeMismatchException.class, MissingServletRequestParameterException.class})
    ResponseEntity<ErrorBody> badParameter(Exception e) {
        String name = e instanceof MethodArgumentTypeMismatchException m ? m.getName()
                : ((MissingServletRequestParameterException) e).getParameterName();
        return api(ApiException.invalid(name, "has an invalid value"));
    }

    /**
     * A body Jackson could not read: names the field (its JSON path) and what it should be, e.g. the allowed values
     * of an enum, so that a client can fix the request. A body over MAX_REQUEST_BODY surfaces here too when the
     * limit was crossed while Jackson was reading it.
     */
    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<ErrorBody> unreadable(HttpMessageNotReadableException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ApiException api) {
                return api(api);
            }
        }
        if (e.getCause() instanceof DatabindException databind && !databind.getPath().isEmpty()) {
            String field = path(databind.getPath());
            String expected = expected(databind);
            return api(new ApiException(ErrorCode.MALFORMED_REQUEST, field + ": " + expected, Map.of(field, expected)));
        }
        if (e.getCause() instanceof JacksonException) {
            return api(new ApiException(ErrorCode.MALFORMED_REQUEST, "The request body is not valid JSON.",
                    Map.of("body", "is not valid JSON")));
        }
        return api(new ApiException(ErrorCode.MALFORMED_REQUEST, "The request body is missing or unreadable.",
                Map.of("body", "is missing or unreadable")));
    }

    private static String path(List<JacksonException.Reference> path) {
        StringBuilder field = new StringBuilder();
        for (JacksonException.Reference reference : path) {
            if (reference.getPropertyName() != null) {
                field.append(field.isEmpty() ? "" : ".").append(reference.getPropertyName());
            } else if (reference.getIndex() >= 0) {
                field.append('[').append(reference.getIndex()).append(']');
            }
        }
        return field.isEmpty() ? "body" : field.toString();
    }

    private String expected(DatabindException e) {
        Class<?> type = switch (e) {
            case MismatchedInputException m -> m.getTargetType();
            case ValueInstantiationException v -> v.getType() == null ? null : v.getType().getRawClass();
            default -> null;
        };
        if (type == null) {
            return "has the wrong type or value";
        }
        if (type.isEnum()) {
            List<String> allowed = new ArrayList<>();
            for (Object constant : type.getEnumConstants()) {
                allowed.add(json.writeValueAsString(constant).replace("\"", ""));
            }
            return "must be one of: " + String.join(", ", allowed);
        }
        if (type == String.class) {
            return "must be a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "must be true or false";
        }
        if (Number.class.isAssignableFrom(type) || (type.isPrimitive() && type != boolean.class)) {
            return "must be a number";
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "must be an array";
        }
        return "must be a JSON object";
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ResponseEntity<ErrorBody> mediaType(HttpMediaTypeNotSupportedException e) {
        return api(new ApiException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Send the body as application/json."));
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    ResponseEntity<ErrorBody> method(HttpRequestMethodNotSupportedException e) {
        return api(new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "This method is not allowed here."));
    }

    @ExceptionHandler(NoResourceFoundException.class)
    ResponseEntity<ErrorBody> noRoute(NoResourceFoundException e) {
        return api(ApiException.notFound());
    }

    @ExceptionHandler(MaxUploadSizeExceededException.class)
    ResponseEntity<ErrorBody> tooLarge(MaxUploadSizeExceededException e) {
        return api(new ApiException(ErrorCode.PAYLOAD_TOO_LARGE, "The request body is too large."));
    }

    @ExceptionHandler(AsyncRequestNotUsableException.class)
    void clientGone(AsyncRequestNotUsableException e) {
        // The client closed the connection; there is nobody to answer.
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ErrorBody> unexpected(Exception e) {
        log.error("Unexpected error", e);
        return api(new ApiException(ErrorCode.INTERNAL_ERROR, "Something went wrong on the server."));
    }
}
