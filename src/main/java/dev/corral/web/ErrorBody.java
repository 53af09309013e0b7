package dev.corral.web;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;

/** The JSON shape of every error response. */
public record ErrorBody(Detail error) {

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Detail(String code, String message, Map<String, String> fields) {
    }

    public static ErrorBody of(ErrorCode code, String message) {
        return new ErrorBody(new Detail(code.code(), message, Map.of()));
    }

    public static ErrorBody of(ApiException e) {
        return new ErrorBody(new Detail(e.code().code(), e.getMessage(), e.fields()));
    }
}
