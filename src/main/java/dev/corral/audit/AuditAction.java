package dev.corral.audit;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonValue;

/** What an audit entry records; {@link #code()} is the stable name stored, filtered on and exported. */
public enum AuditAction {
    SIGN_IN,
    SIGN_OUT,
    SIGN_OUT_EVERYWHERE,
    SESSION_ENDED,
    SIGN_IN_LOCKOUT,
    RATE_LIMITED,
    SIGN_UP,
    SETUP,
    PASSWORD_CHANGED,
    PASSWORD_RESET,
    USER_CREATED,
    USER_APPROVED,
    USER_ENABLED,
    USER_DISABLED,
    USER_DELETED,
    ROLE_CHANGED,
    RATE_LIMIT_CHANGED,
    KEY_CREATED,
    KEY_ROTATED,
    KEY_REVOKED,
    SETTINGS_CHANGED;

    @JsonValue
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The action with this code, or null. */
    public static AuditAction fromCode(String code) {
        for (AuditAction action : values()) {
            if (action.code().equals(code)) {
                return action;
            }
        }
        return null;
    }
}
