package dev.corral.auth;

import java.io.Serial;
import java.util.Collection;
import java.util.List;

import org.springframework.security.core.CredentialsContainer;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.userdetails.UserDetails;

import dev.corral.user.Role;
import dev.corral.user.User;

/**
 * The principal of a signed-in request. Controllers take it with {@code @AuthenticationPrincipal} and scope every
 * query by {@link #id()}.
 */
public final class SignedInUser implements UserDetails, CredentialsContainer {

    @Serial
    private static final long serialVersionUID = 1L;

    private final String id;
    private final String username;
    private final Role role;
    private final boolean enabled;
    private String passwordHash;

    SignedInUser(User user) {
        this.id = user.id();
        this.username = user.username();
        this.role = user.role();
        this.enabled = user.enabled();
        this.passwordHash = user.passwordHash();
    }

    public String id() {
        return id;
    }

    public Role role() {
        return role;
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
