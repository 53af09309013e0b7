package dev.corral.audit;

import java.time.Instant;

/** One recorded event. {@code outcome} is success or failure. */
public record AuditEntry(String id, Instant at, AuditAction action, String outcome, String actorId, String actorName,
                         String ip, String targetType, String targetId, String targetName, String detail) {
}
