package dev.corral.user;

/**
 * Published (as a Spring application event) when an account's sessions must end: its password was changed or reset,
 * or it was disabled or deleted. The session feature listens and deletes the sessions, so that the account feature
 * needs to know nothing about how sessions are stored. {@code keepSessionId}: the one session to keep (the one that
 * changed its own password), or null for all.
 */
public record AccountSessionsRevoked(String userId, String keepSessionId) {
}
