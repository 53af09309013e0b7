package dev.corral.apikey;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import dev.corral.audit.AuditAction;
import dev.corral.audit.AuditLog;
import dev.corral.config.CorralProperties;
import dev.corral.user.AccountPasswordReset;
import dev.corral.user.SignedInUser;
import dev.corral.user.User;
import dev.corral.user.UserService;
import dev.corral.web.ApiException;
import dev.corral.web.ErrorCode;

/**
 * API keys: the only way other features (the Bearer authentication in auth) reach them. A key's secret exists in
 * one response (create or rotate) and nowhere else: only its SHA-256 digest is stored, and nothing here logs it.
 */
@Service
public class ApiKeyService {

    public static final int MAX_NAME_LENGTH = 64;
    /** Keys a user may have that work and were not rotated. */
    public static final int MAX_ACTIVE_KEYS = 50;
    /** The furthest expiry a key may be given. */
    public static final Duration MAX_LIFETIME = Duration.ofDays(730);
    /** last_used_at is written at most this often per key (not on every request). */
    static final Duration LAST_USED_PRECISION = Duration.ofMinutes(1);
    /** Revoked and expired keys are deleted this long after they stopped working (when their owner makes a key). */
    static final Duration KEEP_INACTIVE = Duration.ofDays(30);

    /** The owner's view of a key: everything but the secret. */
    public record KeyView(String id, String name, String prefix, Instant createdAt, Instant lastUsedAt,
                          Instant expiresAt, Instant revokedAt, Instant rotatedAt, ApiKey.Status status) {
        static KeyView of(ApiKey key, Instant now) {
            return new KeyView(key.id(), key.name(), key.prefix(), key.createdAt(), key.lastUsedAt(),
                    key.expiresAt(), key.revokedAt(), key.rotatedAt(), key.status(now));
        }
    }

    /** An admin's view of a key: the owner's view with the owner. */
    public record AdminKeyView(String id, String userId, String username, String name, String prefix,
                               Instant createdAt, Instant lastUsedAt, Instant expiresAt, Instant revokedAt,
                               Instant rotatedAt, ApiKey.Status status) {
    }

    /** The answer to create and rotate: the only time the secret is seen. */
    public record CreatedKey(KeyView key, String secret) {
    }

    /** Who a valid key authenticates: the account as stored now, and the key. */
    public record KeyOwner(User user, String keyId) {
    }

    private final ApiKeyRepository keys;
    private final UserService users;
    private final AuditLog audit;
    private final Duration rotationGrace;
    private final ApiKeySecrets secrets = new ApiKeySecrets();

    ApiKeyService(ApiKeyRepository keys, UserService users, AuditLog audit, CorralProperties properties) {
        this.keys = keys;
        this.users = users;
        this.audit = audit;
        this.rotationGrace = properties.apiKeys().rotationGrace();
        if (rotationGrace == null || rotationGrace.isNegative()) {
            throw new IllegalStateException("API_KEY_ROTATION_GRACE must be 0 or more (e.g. 24h)");
        }
    }

    /**
     * The account and key behind a presented key, or empty when the key is malformed, unknown, revoked, expired, or
     * its owner is disabled or gone: callers answer all of these the same way.
     */
    public Optional<KeyOwner> authenticate(String presented) {
        String prefix = ApiKeySecrets.prefixOf(presented);
        if (prefix == null) {
            return Optional.empty();
        }
        byte[] digest = ApiKeySecrets.sha256(presented);
        Optional<ApiKeyRepository.StoredKey> stored = keys.findByPrefix(prefix);
        if (stored.isEmpty() || !ApiKeySecrets.matches(digest, stored.get().secretHash())) {
            return Optional.empty();
        }
        ApiKey key = stored.get().key();
        Instant now = Instant.now();
        if (!key.works(now)) {
            return Optional.empty();
        }
        Optional<User> owner = users.findById(key.userId()).filter(User::enabled);
        if (owner.isEmpty()) {
            return Optional.empty();
        }
        Instant stale = now.minus(LAST_USED_PRECISION);
        if (key.lastUsedAt() == null || key.lastUsedAt().isBefore(stale)) {
            keys.touch(key.id(), now, stale);
        }
        return Optional.of(new KeyOwner(owner.get(), key.id()));
    }

    /** True when a bearer credential has the shape of an API key ({@code crl_...}), valid or not. */
    public static boolean looksLikeKey(String credential) {
        return credential != null && credential.startsWith(ApiKeySecrets.MARK);
    }

    /** The caller's keys, newest first. */
    public List<KeyView> list(String userId) {
        Instant now = Instant.now();
        return keys.findByUser(userId).stream().map(k -> KeyView.of(k, now)).toList();
    }

    /** Every user's keys (or one user's, when {@code userId} is not null), newest first, with their owners. */
    public List<AdminKeyView> listAll(String userId) {
        Instant now = Instant.now();
        Map<String, String> names = users.list().stream().collect(Collectors.toMap(User::id, User::username));
        List<ApiKey> found = userId == null ? keys.findAll() : keys.findByUser(userId);
        return found.stream().map(k -> new AdminKeyView(k.id(), k.userId(), names.get(k.userId()), k.name(),
                k.prefix(), k.createdAt(), k.lastUsedAt(), k.expiresAt(), k.revokedAt(), k.rotatedAt(),
                k.status(now))).toList();
    }

    /**
     * Makes a key for the caller. {@code name} is trimmed, 1-64 characters; {@code expiresAt} is null (no expiry) or
     * in the next two years. Refused to a request authenticated by a key, so that a leaked key cannot make another.
     */
    @Transactional
    public CreatedKey create(SignedInUser caller, String name, Instant expiresAt) {
        refuseKeyPrincipal(caller, "create");
        String cleanName = validName(name);
        Instant now = Instant.now();
        Instant expiry = validExpiry(expiresAt, now);
        keys.deleteInactive(caller.id(), now.minus(KEEP_INACTIVE));
        if (keys.countActive(caller.id(), now) >= MAX_ACTIVE_KEYS) {
            throw new ApiException(ErrorCode.API_KEY_LIMIT, "You have " + MAX_ACTIVE_KEYS
                    + " active API keys, the most allowed: revoke one you no longer use first.");
        }
        ApiKeySecrets.Generated generated = generate();
        ApiKey key = new ApiKey(UUID.randomUUID().toString(), caller.id(), cleanName, generated.prefix(),
                now.truncatedTo(ChronoUnit.MILLIS), null, expiry, null, null, null);
        keys.insert(key, generated.digest());
        audit.event(AuditAction.KEY_CREATED).actor(caller.id(), caller.getUsername())
                .target("api_key", key.id(), key.name())
                .detail("owner " + caller.getUsername() + ", prefix " + key.prefix()
                        + (expiry == null ? ", no expiry" : ", expires " + expiry))
                .record();
        return new CreatedKey(KeyView.of(key, now), generated.key());
    }

    /**
     * Replaces one of the caller's working keys with a new one of the same name. The old key keeps working for the
     * rotation grace period (API_KEY_ROTATION_GRACE) or until its own earlier expiry. The new key expires at
     * {@code expiresAt} when {@code keepExpiry} is false, else when the old one would have.
     */
    @Transactional
    public CreatedKey rotate(SignedInUser caller, String keyId, boolean keepExpiry, Instant expiresAt) {
        refuseKeyPrincipal(caller, "rotate");
        Instant now = Instant.now();
        Instant requested = keepExpiry ? null : validExpiry(expiresAt, now);
        ApiKey old = keys.findOwned(keyId, caller.id()).orElseThrow(ApiException::notFound);
        if (old.status(now) != ApiKey.Status.ACTIVE) {
            throw inactive();
        }
        // The rotated key keeps working through its grace period: it still counts, so rotating again and again
        // cannot pile up working keys past the cap.
        if (keys.countActive(caller.id(), now) >= MAX_ACTIVE_KEYS) {
            throw new ApiException(ErrorCode.API_KEY_LIMIT, "You have " + MAX_ACTIVE_KEYS
                    + " working API keys (counting rotated ones in their grace period): revoke one first.");
        }
        Instant expiry = keepExpiry ? old.expiresAt() : requested;
        ApiKeySecrets.Generated generated = generate();
        ApiKey key = new ApiKey(UUID.randomUUID().toString(), caller.id(), old.name(), generated.prefix(),
                now.truncatedTo(ChronoUnit.MILLIS), null, expiry, null, null, null);
        keys.insert(key, generated.digest());
        Instant graceEnd = now.plus(rotationGrace);
        if (old.expiresAt() != null && old.expiresAt().isBefore(graceEnd)) {
            graceEnd = old.expiresAt();
        }
        if (!keys.markRotated(old.id(), key.id(), now, graceEnd)) {
            throw inactive(); // revoked or rotated by a concurrent request: the new key is rolled back
        }
        audit.event(AuditAction.KEY_ROTATED).actor(caller.id(), caller.getUsername())
                .target("api_key", old.id(), old.name())
                .detail("owner " + caller.getUsername() + ", prefix " + old.prefix() + " works until " + graceEnd
                        + ", replaced by " + key.prefix() + " (" + key.id() + ")")
                .record();
        return new CreatedKey(KeyView.of(key, now), generated.key());
    }

    /** Revokes one of the caller's keys at once (a key may revoke itself); 404 for anybody else's. */
    @Transactional
    public void revoke(SignedInUser caller, String keyId) {
        ApiKey key = keys.findOwned(keyId, caller.id()).orElseThrow(ApiException::notFound);
        revoke(caller, key, caller.getUsername());
    }

    /** Revokes any user's key (the security configuration keeps this to admins). */
    @Transactional
    public void revokeAny(SignedInUser admin, String keyId) {
        ApiKey key = keys.findById(keyId).orElseThrow(ApiException::notFound);
        String owner = users.findById(key.userId()).map(User::username).orElse(key.userId());
        revoke(admin, key, owner);
    }

    /** An admin reset the owner's password: the account is being taken back, so none of its keys may stay. */
    @EventListener
    void revokeAllOnPasswordReset(AccountPasswordReset reset) {
        for (ApiKey key : keys.findByUser(reset.userId())) {
            if (key.revokedAt() == null) {
                revoke(reset.admin(), key, reset.username());
            }
        }
    }

    private void revoke(SignedInUser actor, ApiKey key, String ownerName) {
        if (keys.revoke(key.id(), Instant.now())) {
            audit.event(AuditAction.KEY_REVOKED).actor(actor.id(), actor.getUsername())
                    .target("api_key", key.id(), key.name())
                    .detail("owner " + ownerName + " (" + key.userId() + "), prefix " + key.prefix()
                            + (actor.viaApiKey() ? ", by an API key" : ""))
                    .record();
        }
    }

    private ApiKeySecrets.Generated generate() {
        // 62^8 public ids: a clash is very unlikely, but the prefix must be unique.
        for (int attempt = 0; attempt < 5; attempt++) {
            ApiKeySecrets.Generated generated = secrets.generate();
            if (!keys.prefixExists(generated.prefix())) {
                return generated;
            }
        }
        throw new IllegalStateException("No free API key prefix after 5 attempts");
    }

    private static void refuseKeyPrincipal(SignedInUser caller, String what) {
        caller.requireSession("An API key cannot " + what + " API keys: sign in with your password to do that.");
    }

    private static ApiException inactive() {
        return new ApiException(ErrorCode.API_KEY_INACTIVE,
                "Only an active key can be rotated: this one is revoked, expired or already rotated.");
    }

    static String validName(String name) {
        String trimmed = name == null ? "" : name.strip();
        if (trimmed.isEmpty() || trimmed.length() > MAX_NAME_LENGTH) {
            throw ApiException.invalid("name", "must be 1-" + MAX_NAME_LENGTH + " characters");
        }
        if (trimmed.chars().anyMatch(Character::isISOControl)) {
            throw ApiException.invalid("name", "must not contain control characters");
        }
        return trimmed;
    }

    static Instant validExpiry(Instant expiresAt, Instant now) {
        if (expiresAt == null) {
            return null;
        }
        if (!expiresAt.isAfter(now)) {
            throw ApiException.invalid("expiresAt", "must be in the future");
        }
        if (expiresAt.isAfter(now.plus(MAX_LIFETIME))) {
            throw ApiException.invalid("expiresAt", "must be at most " + MAX_LIFETIME.toDays() + " days from now");
        }
        return expiresAt.truncatedTo(ChronoUnit.MILLIS);
    }
}
