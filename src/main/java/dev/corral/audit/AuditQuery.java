package dev.corral.audit;

import java.time.Instant;

/** Filters of the audit log; null means any. {@code beforeAt}/{@code beforeId}: the last entry of the previous page. */
record AuditQuery(AuditAction action, String outcome, String actor, Instant from, Instant to, Instant beforeAt,
                  String beforeId) {
}
