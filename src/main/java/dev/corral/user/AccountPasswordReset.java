package dev.corral.user;

/**
 * Published (as a Spring application event) when an admin resets an account's password: the reset is how an
 * account that may be in someone else's hands is taken back, so the API key feature revokes the account's keys.
 * {@code admin} is who reset it.
 */
public record AccountPasswordReset(String userId, String username, SignedInUser admin) {
}
