package dev.corral.settings;

import java.util.Map;

import org.springframework.stereotype.Service;

import dev.corral.audit.AuditAction;
import dev.corral.audit.AuditLog;

/**
 * Runtime settings (the {@code settings} table): the only way other features read or change them. Each change is
 * audited as settings_changed with the old and the new value. Read from the database each time (one small query),
 * so that every instance sharing a database agrees at once.
 */
@Service
public class SettingsService {

    static final String SIGN_UP_OPEN = "sign_up_open";

    private final SettingsRepository settings;
    private final AuditLog audit;

    SettingsService(SettingsRepository settings, AuditLog audit) {
        this.settings = settings;
        this.audit = audit;
    }

    public Settings get() {
        Map<String, String> stored = settings.findAll();
        return new Settings(Boolean.parseBoolean(
                stored.getOrDefault(SIGN_UP_OPEN, Boolean.toString(Settings.DEFAULTS.signUpOpen()))));
    }

    /** Whether anybody may create an account (pending an admin's approval) with POST /api/auth/signup. */
    public boolean signUpOpen() {
        return get().signUpOpen();
    }

    /** Opens or closes sign-up on behalf of the admin {@code actorId}; no-op (and no audit entry) when unchanged. */
    public Settings setSignUpOpen(boolean open, String actorId, String actorName) {
        Settings before = get();
        if (before.signUpOpen() != open) {
            settings.put(SIGN_UP_OPEN, Boolean.toString(open), actorId, System.currentTimeMillis());
            audit.event(AuditAction.SETTINGS_CHANGED).actor(actorId, actorName)
                    .target("setting", SIGN_UP_OPEN, "signUpOpen")
                    .detail("signUpOpen: " + before.signUpOpen() + " -> " + open).record();
        }
        return get();
    }
}
