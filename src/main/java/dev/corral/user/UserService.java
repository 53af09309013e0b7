package dev.corral.user;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import dev.corral.web.ApiException;
import dev.corral.web.ErrorCode;

/** Accounts: the only way other features read or change users. */
@Service
public class UserService {

    public static final int MIN_PASSWORD_LENGTH = 12;
    public static final int MAX_PASSWORD_LENGTH = 128;
    public static final int MAX_RATE_LIMIT_MULTIPLIER = 100;
    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9._-]{3,32}");

    private final UserRepository users;
    private final PasswordEncoder passwordEncoder;
    private final ApplicationEventPublisher events;

    UserService(UserRepository users, PasswordEncoder passwordEncoder, ApplicationEventPublisher events) {
        this.users = users;
        this.passwordEncoder = passwordEncoder;
        this.events = events;
    }

    public boolean hasUsers() {
        return users.count() > 0;
    }

    @Transactional
    public User create(String username, String password, Role role) {
        validateUsername(username);
        validatePassword(password);
        if (users.usernameExists(username)) {
            throw new ApiException(ErrorCode.USERNAME_TAKEN, "That username is taken.");
        }
        User user = new User(UUID.randomUUID().toString(), username, passwordEncoder.encode(password), role, true,
                Instant.now());
        users.insert(user);
        return user;
    }

    /**
     * Creates the first admin, only while there is no user at all. Synchronized so that two concurrent setup
     * requests cannot both win on one instance; the unique username index backs it up.
     */
    @Transactional
    public synchronized Optional<User> createFirstAdmin(String username, String password) {
        if (users.count() > 0) {
            return Optional.empty();
        }
        return Optional.of(create(username, password, Role.ADMIN));
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

    @Transactional
    public User setEnabled(String id, boolean enabled) {
        User user = users.findById(id).orElseThrow(ApiException::notFound);
        if (!enabled && user.isAdmin() && user.enabled() && users.countEnabledAdmins() <= 1) {
            throw new ApiException(ErrorCode.LAST_ADMIN, "The last active admin cannot be disabled.");
        }
        users.setEnabled(id, enabled);
        if (!enabled) {
            events.publishEvent(new AccountSessionsRevoked(id, null));
        }
        return users.findById(id).orElseThrow(ApiException::notFound);
    }

    /** Raises (2-100) or resets (null or 1) a user's rate limits. */
    @Transactional
    public User setRateLimitMultiplier(String id, Integer multiplier) {
        if (multiplier != null && (multiplier < 1 || multiplier > MAX_RATE_LIMIT_MULTIPLIER)) {
            throw ApiException.invalid("rateLimitMultiplier", "must be 1-" + MAX_RATE_LIMIT_MULTIPLIER);
        }
        if (!users.setRateLimitMultiplier(id, multiplier == null || multiplier == 1 ? null : multiplier)) {
            throw ApiException.notFound();
        }
        return users.findById(id).orElseThrow(ApiException::notFound);
    }

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

    private static void validateUsername(String username) {
        if (username == null || !USERNAME.matcher(username).matches()) {
            throw ApiException.invalid("username", "must be 3-32 letters, digits, '.', '_' or '-'");
        }
    }

    private static void validatePassword(String password) {
        if (password == null || password.length() < MIN_PASSWORD_LENGTH || password.length() > MAX_PASSWORD_LENGTH) {
            throw ApiException.invalid("password",
                    "must be " + MIN_PASSWORD_LENGTH + "-" + MAX_PASSWORD_LENGTH + " characters");
        }
    }
}
