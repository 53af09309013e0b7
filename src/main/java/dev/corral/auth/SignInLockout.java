package dev.corral.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import dev.corral.audit.AuditAction;
import dev.corral.audit.AuditLog;
import dev.corral.config.CorralProperties;
import dev.corral.user.SignInFailures;
import dev.corral.user.UserService;

/**
 * Locks an account after {@code threshold} consecutive failed sign-ins, for {@code base}, doubling with each further
 * failure up to {@code max}; a successful sign-in resets the count. The state lives on the users row, so a restart
 * does not lift a lock. Failures while locked are not counted (the lock already stops guessing) and a locked
 * account's sign-in is refused exactly like a wrong password, so the lock reveals nothing about the account.
 */
@Component
class SignInLockout {

    private static final Logger log = LoggerFactory.getLogger(SignInLockout.class);

    private final UserService users;
    private final CorralProperties.SignInLockout settings;
    private final AuditLog audit;
    private final Clock clock = Clock.systemUTC();

    SignInLockout(UserService users, CorralProperties properties, AuditLog audit) {
        this.users = users;
        this.settings = properties.signInLockout();
        this.audit = audit;
    }

    /** The account's failures if it exists, and whether it is locked now. */
    Optional<SignInFailures> state(String username) {
        return users.signInFailures(username);
    }

    boolean isLocked(Optional<SignInFailures> state) {
        return state.map(SignInFailures::lockedUntil).filter(until -> until.isAfter(clock.instant())).isPresent();
    }

    void failed(String username, Optional<SignInFailures> state) {
        if (state.isEmpty() || settings.threshold() < 1) {
            return;
        }
        String userId = state.get().userId();
        int failures = users.recordFailedSignIn(userId);
        if (failures >= settings.threshold()) {
            Duration lock = lockDuration(failures - settings.threshold());
            Instant until = clock.instant().plus(lock);
            users.lockSignIn(userId, until);
            log.atWarn().addKeyValue("event", "sign_in_lockout").addKeyValue("lockedUserId", userId)
                    .log("Account '{}' locked for {} s after {} consecutive failed sign-ins", username,
                            lock.toSeconds(), failures);
            audit.event(AuditAction.SIGN_IN_LOCKOUT).failure().actor(userId, username).target("user", userId, username)
                    .detail("locked for " + lock.toSeconds() + " s after " + failures + " consecutive failed sign-ins")
                    .record();
        }
    }

    void succeeded(Optional<SignInFailures> state) {
        state.filter(s -> s.count() > 0 || s.lockedUntil() != null)
                .ifPresent(s -> users.clearFailedSignIns(s.userId()));
    }

    private Duration lockDuration(int doublings) {
        Duration lock = settings.base().multipliedBy(1L << Math.min(doublings, 30));
        return lock.compareTo(settings.max()) > 0 ? settings.max() : lock;
    }
}
