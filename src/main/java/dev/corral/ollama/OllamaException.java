package dev.corral.ollama;

import dev.corral.web.ErrorCode;

/** Ollama could not give an answer; {@link #code()} says why in the API's terms. */
public class OllamaException extends RuntimeException {

    private final ErrorCode code;

    OllamaException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
