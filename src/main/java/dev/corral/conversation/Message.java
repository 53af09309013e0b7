package dev.corral.conversation;

import java.time.Instant;
import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonValue;

/** One turn of a conversation; messages form a tree through {@link #parentId()}. */
public record Message(
        String id,
        @JsonIgnore String conversationId,
        String parentId,
        Role role,
        String content,
        Status status,
        String model,
        Error error,
        Stats stats,
        Instant createdAt,
        Instant updatedAt) {

    public enum Role {
        USER, ASSISTANT;

        @JsonValue
        public String json() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Status {
        /** Written in full. */
        COMPLETE,
        /** Being generated right now. */
        STREAMING,
        /** The user pressed Stop; the content is what was generated until then. */
        STOPPED,
        /** Ollama failed; the content is what was generated before the error. */
        FAILED,
        /** Corral stopped (crash, restart) while generating; the content is what was stored until then. */
        INTERRUPTED;

        @JsonValue
        public String json() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public record Error(String code, String message) {
    }

    /** Ollama's final statistics, as it reported them (durations in nanoseconds). */
    public record Stats(String doneReason, Long promptEvalCount, Long evalCount, Long totalDurationNs,
                        Long loadDurationNs, Long promptEvalDurationNs, Long evalDurationNs) {
    }

    @JsonIgnore
    public boolean isFinished() {
        return status != Status.STREAMING;
    }
}
