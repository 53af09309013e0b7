package dev.corral.audit;

import java.time.Instant;
import java.util.UUID;

import jakarta.servlet.http.HttpServletRequest;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

import dev.corral.web.TrustedProxies;

/**
 * Records security-relevant events: the only way other features write the audit log. The client IP is taken from
 * the current request (through TRUSTED_PROXIES); callers name the actor and the target. Recording never fails the
 * caller's operation: a write error is logged and the event dropped.
 *
 * <pre>{@code audit.event(AuditAction.USER_DISABLED).actor(admin.id(), admin.username())
 *      .target("user", user.id(), user.username()).record();}</pre>
 */
@Service
public class AuditLog {

    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);
    private static final int MAX_DETAIL = 500;
    private static final java.util.regex.Pattern CONTROL = java.util.regex.Pattern.compile("\\p{Cntrl}");

    private final AuditRepository entries;
    private final TrustedProxies trustedProxies;

    AuditLog(AuditRepository entries, TrustedProxies trustedProxies) {
        this.entries = entries;
        this.trustedProxies = trustedProxies;
    }

    public Event event(AuditAction action) {
        return new Event(action);
    }

    /** A builder for one entry; {@link #record()} writes it. */
    public final class Event {
        private final AuditAction action;
        private boolean success = true;
        private String actorId;
        private String actorName;
        private String targetType;
        private String targetId;
        private String targetName;
        private String detail;
        private String ip;

        private Event(AuditAction action) {
            this.action = action;
        }

        public Event actor(String id, String name) {
            this.actorId = id;
            this.actorName = name;
            return this;
        }

        public Event target(String type, String id, String name) {
            this.targetType = type;
            this.targetId = id;
            this.targetName = name;
            return this;
        }

        public Event detail(String detail) {
            this.detail = detail;
            return this;
        }

        public Event failure() {
            this.success = false;
            return this;
        }

        /** Only where there is no current request (the IP is otherwise read from it). */
        public Event ip(String ip) {
            this.ip = ip;
            return this;
        }

        public void record() {
            AuditEntry entry = new AuditEntry(UUID.randomUUID().toString(), Instant.now(), action,
                    success ? "success" : "failure", actorId, truncate(actorName, 64), ip != null ? ip : currentIp(),
                    targetType, targetId, truncate(targetName, 200), truncate(detail, MAX_DETAIL));
            try {
                entries.insert(entry);
            } catch (RuntimeException e) {
                log.atError().addKeyValue("event", "audit_write_failed").addKeyValue("action", action.code())
                        .log("Could not write an audit entry: {}", e.toString());
            }
        }
    }

    private String currentIp() {
        if (RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attributes) {
            HttpServletRequest request = attributes.getRequest();
            return trustedProxies.clientAddress(request);
        }
        return null;
    }

    /** Bounded, and without control characters (PostgreSQL refuses NUL in text; a log viewer should see no escapes). */
    private static String truncate(String text, int max) {
        if (text == null) {
            return null;
        }
        String clean = CONTROL.matcher(text).replaceAll("?");
        return clean.length() <= max ? clean : clean.substring(0, max);
    }
}
