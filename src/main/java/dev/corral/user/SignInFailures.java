package dev.corral.user;

import java.time.Instant;

/** An account's consecutive failed sign-ins and, when locked out, until when (null: not locked). */
public record SignInFailures(String userId, int count, Instant lockedUntil) {
}
