package dev.corral.config;

/**
 * Corral will not start, for a reason the operator can fix (the database is newer than this Corral, migrations are
 * pending with DB_MIGRATE_ON_START=false, another process uses the data directory). Reported by
 * {@link StartupRefusedFailureAnalyzer} as a short description and action instead of a stack trace.
 */
public class StartupRefusedException extends RuntimeException {

    private final String action;

    public StartupRefusedException(String description, String action) {
        super(description, null, false, false);
        this.action = action;
    }

    public String action() {
        return action;
    }
}
