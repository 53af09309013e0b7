package dev.corral.settings;

/** The settings an admin changes at run time (GET/PATCH /api/admin/settings). */
public record Settings(boolean signUpOpen) {

    /** What a fresh Corral starts with: sign-up closed. */
    public static final Settings DEFAULTS = new Settings(false);
}
