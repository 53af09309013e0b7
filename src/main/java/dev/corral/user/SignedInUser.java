package dev.corral.user;

import java.io.Serial;
import java.util.Collection;
import java.util.List;

import org.springframework.security.core.CredentialsContainer;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.userdetails.UserDetails;

import dev.corral.web.ApiException;
import dev.corral.web.ErrorCode;

/**
 * The principal of a signed-in request, by session or by API key. Controllers take it with
 * {@code @AuthenticationPrincipal} and scope every query by {@link #id()}. It lives with the accounts (not in auth)
 * so that features which authenticate (auth) and features which only need the caller (conversation, apikey...) both
 * depend on user, never on each other.
 */
public final class SignedInUser implements UserDetails, CredentialsContainer {

    @Serial
    private static final long serialVersionUID = 1L;

    private final String id;
    private final String username;
    private final Role role;
    private final boolean enabled;
    /** The API key that authenticated this request; null for a session. */
    private final String apiKeyId;
    private String passwordHash;

    public SignedInUser(User user) {
        this(user, null);
    }

    public SignedInUser(User user, String apiKeyId) {
        this.id = user.id();
        this.username = user.username();
        this.role = user.role();
        this.enabled = user.enabled();
        this.passwordHash = user.passwordHash();
        this.apiKeyId = apiKeyId;
    }

    public String id() {
        return id;
    }

    public Role role() {
        return role;
    }

    public String apiKeyId() {
        return apiKeyId;
    }

    /** True when an API key, not a session, authenticated the request. */
    public boolean viaApiKey() {
        return apiKeyId != null;
    }

    /**
     * Refuses (403 forbidden, with {@code message}) a request authenticated by an API key: for what hands out or
     * ends a way in (keys, passwords, accounts, roles, sessions), so that a leaked key cannot outlive its revocation.
     */
    public void requireSession(String message) {
        if (viaApiKey()) {
            throw new ApiException(ErrorCode.FORBIDDEN, message);
        }
    }

    @Override
    public Collection<? extends GrantedAuthority> getAuthorities() {
        return List.of(new SimpleGrantedAuthority("ROLE_" + role.name()));
    }

    @Override
    public String getPassword() {
        return passwordHash;
    }

    @Override
    public String getUsername() {
        return username;
    }

    @Override
    public boolean isEnabled() {
        return enabled;
    }

    @Override
    public void eraseCredentials() {
        passwordHash = null;
    }
}
