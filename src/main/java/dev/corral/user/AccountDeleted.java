package dev.corral.user;

/**
 * Published (as a Spring application event) after an account was deleted, with everything it owned. The database's
 * ON DELETE CASCADE removes the stored data; features holding state in memory for the account (a running answer)
 * listen and let go of it.
 */
public record AccountDeleted(String userId) {
}
