package dev.corral.auth;

import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.core.userdetails.UsernameNotFoundException;
import org.springframework.stereotype.Component;

import dev.corral.user.SignedInUser;
import dev.corral.user.UserService;

@Component
class AccountUserDetailsService implements UserDetailsService {

    private final UserService users;

    AccountUserDetailsService(UserService users) {
        this.users = users;
    }

    @Override
    public UserDetails loadUserByUsername(String username) {
        return users.findByUsername(username).map(SignedInUser::new)
                .orElseThrow(() -> new UsernameNotFoundException("unknown user"));
    }
}
