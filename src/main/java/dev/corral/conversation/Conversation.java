package dev.corral.conversation;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonIgnore;

/** A chat: its settings and the message its current path ends at. */
public record Conversation(
        String id,
        @JsonIgnore String userId,
        String title,
        String model,
        String systemPrompt,
        Double temperature,
        @JsonIgnore String currentLeafId,
        Instant createdAt,
        Instant updatedAt,
        boolean generating) {
}
