package dev.corral.user;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import dev.corral.audit.AuditAction;
import dev.corral.audit.AuditLog;
import dev.corral.settings.SettingsService;
import dev.corral.web.ApiException;
import dev.corral.web.ErrorCode;

/**
 * Accounts: the only way other features read or change users. Every change is audited (after its transaction
 * commits, so that a refused change is recorded as a failure even though its transaction rolled back), and a change
 * that must end sessions publishes {@link AccountSessionsRevoked} after the commit.
 *
 * <p>The last active admin (role admin, enabled) can be neither demoted, disabled nor deleted: each of those is one
 * conditional statement that only changes the row if another active admin remains, under a lock that serializes such
 * changes (see {@link UserRepository#lockAdmins()}), so two concurrent demotions of two admins cannot leave none.
 */
@Service
public class UserService {

    public static final int MIN_PASSWORD_LENGTH = PasswordPolicy.MIN_LENGTH;
    public static final int MAX_PASSWORD_LENGTH = PasswordPolicy.MAX_LENGTH;
    public static final int MAX_RATE_LIMIT_MULTIPLIER = 100;
    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9._-]{3,32}");

    /** A change of one account to audit once its transaction has committed. */
    private record Change(AuditAction action, String detail) {
    }

    /** The last active admin stopped a change; rolls the transaction back and is audited as a failure. */
    private static final class LastAdminRefused extends ApiException {
        private final AuditAction action;
        private final User target;

        LastAdminRefused(AuditAction action, User target, String message) {
            super(ErrorCode.LAST_ADMIN, message);
            this.action = action;
            this.target = target;
        }
    }

    private final UserRepository users;
    private final PasswordEncoder passwordEncoder;
    private final PasswordPolicy passwordPolicy;
    private final SettingsService settings;
    private final AuditLog audit;
    private final ApplicationEventPublisher events;
    private final TransactionTemplate transaction;

    UserService(UserRepository users, PasswordEncoder passwordEncoder, PasswordPolicy passwordPolicy,
                SettingsService settings, AuditLog audit, ApplicationEventPublisher events,
                PlatformTransactionManager transactions) {
        this.users = users;
        this.passwordEncoder = passwordEncoder;
        this.passwordPolicy = passwordPolicy;
        this.settings = settings;
        this.audit = audit;
        this.events = events;
        this.transaction = new TransactionTemplate(transactions);
    }

    public boolean hasUsers() {
        return users.count() > 0;
    }

    public Optional<User> findById(String id) {
        return users.findById(id);
    }

    public Optional<User> findByUsername(String username) {
        return users.findByUsername(username);
    }

    public List<User> list() {
        return users.findAll();
    }

    /** Whether sign-up is open (the login page offers "Create an account"). */
    public boolean signUpOpen() {
        return settings.signUpOpen();
    }

    /** True when this account exists and awaits an admin's approval. */
    public boolean isPendingApproval(String username) {
        return username != null && users.findByUsername(username).map(User::pending).orElse(false);
    }

    // ------------------------------------------------------------------ creating accounts

    /** An admin creates an account (enabled at once). */
    public User create(SignedInUser admin, String username, String password, Role role) {
        User user = insertNew(username, password, role, false);
        audit.event(AuditAction.USER_CREATED).actor(admin.id(), admin.getUsername())
                .target("user", user.id(), user.username()).detail("role " + role.json()).record();
        return user;
    }

    /**
     * Creates the first admin, only while there is no user at all. Synchronized so that two concurrent setup
     * requests cannot both win on one instance; the unique username index backs it up.
     */
    public synchronized Optional<User> createFirstAdmin(String username, String password) {
        // Audited by the callers (setup in the browser, CORRAL_ADMIN_* on start), which know how it happened.
        return inTransaction(() -> users.count() > 0 ? Optional.<User>empty()
                : Optional.of(insertNew(username, password, Role.ADMIN, false)));
    }

    /**
     * Somebody creates their own account with POST /api/auth/signup: only while an admin keeps sign-up open, and
     * then pending (it cannot sign in) until an admin approves it.
     */
    public User signUp(String username, String password) {
        if (!settings.signUpOpen()) {
            throw new ApiException(ErrorCode.SIGN_UP_CLOSED, "Sign-up is closed; ask an admin for an account.");
        }
        User user = insertNew(username, password, Role.USER, true);
        audit.event(AuditAction.SIGN_UP).actor(user.id(), user.username()).target("user", user.id(), user.username())
                .record();
        return user;
    }

    private User insertNew(String username, String password, Role role, boolean pending) {
        validateUsername(username);
        passwordPolicy.check("password", password, username);
        Objects.requireNonNull(role, "role");
        if (users.usernameExists(username)) {
            throw new ApiException(ErrorCode.USERNAME_TAKEN, "That username is taken.");
        }
        // Hashed before the transaction: the hash takes a while and needs no lock.
        String hash = passwordEncoder.encode(password);
        User user = new User(UUID.randomUUID().toString(), username, hash, role, !pending, Instant.now(), null,
                pending);
        try {
            users.insert(user);
        } catch (DuplicateKeyException e) {
            // The same name created at the same moment (checked above, but the hash takes a while): the index wins.
            throw new ApiException(ErrorCode.USERNAME_TAKEN, "That username is taken.");
        }
        return user;
    }

    // ------------------------------------------------------------------ an admin changing accounts

    /** Approves a pending sign-up (no change if the account is not pending). */
    public User approve(SignedInUser admin, String id) {
        User before = users.findById(id).orElseThrow(ApiException::notFound);
        if (before.pending()) {
            users.enable(id);
            audit.event(AuditAction.USER_APPROVED).actor(admin.id(), admin.getUsername())
                    .target("user", before.id(), before.username()).record();
        }
        return users.findById(id).orElseThrow(ApiException::notFound);
    }

    /**
     * Changes any of role, enabled and rate limit multiplier (null: unchanged) in one transaction: all or nothing.
     * Enabling a pending account approves it; disabling one ends its sessions.
     */
    public User update(SignedInUser admin, String id, Role role, Boolean enabled, Integer rateLimitMultiplier) {
        if (rateLimitMultiplier != null && (rateLimitMultiplier < 1 || rateLimitMultiplier > MAX_RATE_LIMIT_MULTIPLIER)) {
            throw ApiException.invalid("rateLimitMultiplier", "must be 1-" + MAX_RATE_LIMIT_MULTIPLIER);
        }
        List<Change> changes = new ArrayList<>();
        User after;
        try {
            after = inTransaction(() -> {
                users.lockAdmins();
                User before = users.findById(id).orElseThrow(ApiException::notFound);
                if (rateLimitMultiplier != null) {
                    Integer stored = rateLimitMultiplier == 1 ? null : rateLimitMultiplier;
                    if (!Objects.equals(stored, before.rateLimitMultiplier())) {
                        users.setRateLimitMultiplier(id, stored);
                        changes.add(new Change(AuditAction.RATE_LIMIT_CHANGED,
                                multiplier(before.rateLimitMultiplier()) + " -> " + multiplier(stored)));
                    }
                }
                if (role != null && role != before.role()) {
                    if (role == Role.USER) {
                        if (!users.demoteKeepingAnAdmin(id)) {
                            throw new LastAdminRefused(AuditAction.ROLE_CHANGED, before,
                                    "The last active admin cannot be made a user.");
                        }
                    } else {
                        users.setRole(id, role);
                    }
                    changes.add(new Change(AuditAction.ROLE_CHANGED, before.role().json() + " -> " + role.json()));
                }
                if (enabled != null) {
                    if (enabled && before.pending()) {
                        users.enable(id);
                        changes.add(new Change(AuditAction.USER_APPROVED, null));
                    } else if (enabled && !before.enabled()) {
                        users.enable(id);
                        changes.add(new Change(AuditAction.USER_ENABLED, null));
                    } else if (!enabled && (before.enabled() || before.pending())) {
                        if (!users.disableKeepingAnAdmin(id)) {
                            throw new LastAdminRefused(AuditAction.USER_DISABLED, before,
                                    "The last active admin cannot be disabled.");
                        }
                        changes.add(new Change(AuditAction.USER_DISABLED, null));
                    }
                }
                return users.findById(id).orElseThrow(ApiException::notFound);
            });
        } catch (LastAdminRefused e) {
            auditRefusal(admin, e);
            throw e;
        }
        for (Change change : changes) {
            audit.event(change.action()).actor(admin.id(), admin.getUsername())
                    .target("user", after.id(), after.username()).detail(change.detail()).record();
        }
        if (changes.stream().anyMatch(c -> c.action() == AuditAction.USER_DISABLED)) {
            events.publishEvent(new AccountSessionsRevoked(id, null));
        }
        return after;
    }

    /**
     * Deletes an account with all its data: conversations and messages, API keys and sessions go by the database's
     * ON DELETE CASCADE; audit entries stay. Running answers of its conversations are stopped ({@link AccountDeleted}).
     */
    public void delete(SignedInUser admin, String id) {
        User deleted;
        try {
            deleted = inTransaction(() -> {
                users.lockAdmins();
                User before = users.findById(id).orElseThrow(ApiException::notFound);
                if (!users.deleteKeepingAnAdmin(id)) {
                    throw new LastAdminRefused(AuditAction.USER_DELETED, before,
                            "The last active admin cannot be deleted.");
                }
                return before;
            });
        } catch (LastAdminRefused e) {
            auditRefusal(admin, e);
            throw e;
        }
        audit.event(AuditAction.USER_DELETED).actor(admin.id(), admin.getUsername())
                .target("user", deleted.id(), deleted.username()).record();
        events.publishEvent(new AccountSessionsRevoked(id, null));
        events.publishEvent(new AccountDeleted(id));
    }

    /**
     * An admin sets a new password for an account; its sessions end (but for {@code keepSessionId}, the admin's own
     * session when resetting their own password).
     */
    public void resetPassword(SignedInUser admin, String id, String password, String keepSessionId) {
        User user = users.findById(id).orElseThrow(ApiException::notFound);
        passwordPolicy.check("password", password, user.username());
        if (!users.setPasswordHash(id, passwordEncoder.encode(password))) {
            throw ApiException.notFound();
        }
        audit.event(AuditAction.PASSWORD_RESET).actor(admin.id(), admin.getUsername())
                .target("user", user.id(), user.username()).record();
        events.publishEvent(new AccountSessionsRevoked(id, admin.id().equals(id) ? keepSessionId : null));
        events.publishEvent(new AccountPasswordReset(id, user.username(), admin));
    }

    // ------------------------------------------------------------------ a user's own account

    /**
     * A signed-in user changes their own password, proving the current one; their other sessions end
     * ({@code keepSessionId}: the session that asked).
     */
    public void changeOwnPassword(SignedInUser self, String currentPassword, String newPassword, String keepSessionId) {
        if (currentPassword == null || currentPassword.isEmpty()) {
            throw ApiException.invalid("currentPassword", "must not be empty");
        }
        User user = users.findById(self.id()).orElseThrow(ApiException::notFound);
        if (currentPassword.length() > MAX_PASSWORD_LENGTH
                || !passwordEncoder.matches(currentPassword, user.passwordHash())) {
            audit.event(AuditAction.PASSWORD_CHANGED).failure().actor(user.id(), user.username())
                    .target("user", user.id(), user.username()).detail("wrong current password").record();
            throw new ApiException(ErrorCode.WRONG_PASSWORD, "The current password is wrong.",
                    java.util.Map.of("currentPassword", "is wrong"));
        }
        passwordPolicy.check("newPassword", newPassword, user.username());
        users.setPasswordHash(user.id(), passwordEncoder.encode(newPassword));
        audit.event(AuditAction.PASSWORD_CHANGED).actor(user.id(), user.username())
                .target("user", user.id(), user.username()).record();
        events.publishEvent(new AccountSessionsRevoked(user.id(), keepSessionId));
    }

    // ------------------------------------------------------------------ sign-in lock-out (auth.SignInLockout)

    public Optional<SignInFailures> signInFailures(String username) {
        return users.findSignInFailures(username);
    }

    /** Counts a failed sign-in; returns the number of consecutive failures. */
    public int recordFailedSignIn(String userId) {
        return users.incrementSignInFailures(userId);
    }

    public void lockSignIn(String userId, Instant until) {
        users.lockUntil(userId, until);
    }

    public void clearFailedSignIns(String userId) {
        users.clearSignInFailures(userId);
    }

    // ------------------------------------------------------------------ helpers

    private void auditRefusal(SignedInUser admin, LastAdminRefused e) {
        audit.event(e.action).failure().actor(admin.id(), admin.getUsername())
                .target("user", e.target.id(), e.target.username()).detail("refused: last active admin").record();
    }

    private <T> T inTransaction(Supplier<T> work) {
        return transaction.execute(status -> work.get());
    }

    private static String multiplier(Integer stored) {
        return stored == null ? "1" : stored.toString();
    }

    private static void validateUsername(String username) {
        if (username == null || !USERNAME.matcher(username).matches()) {
            throw ApiException.invalid("username", "must be 3-32 letters, digits, '.', '_' or '-'");
        }
    }
}
