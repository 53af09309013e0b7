package dev.corral.user;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

import org.springframework.stereotype.Component;

import dev.corral.web.ApiException;

/**
 * What every password set in Corral must be (setup, an admin creating or resetting an account, sign-up, a user
 * changing their own): 12-128 characters, not the username, and not one of the common passwords of
 * {@code passwords/common-passwords.txt} (leaked passwords of 12+ characters from SecLists, MIT licence: see the
 * README.md beside it), compared ignoring case. No composition rules (NIST SP 800-63B): length and a blocklist
 * instead of "one digit, one symbol".
 */
@Component
class PasswordPolicy {

    static final int MIN_LENGTH = 12;
    static final int MAX_LENGTH = 128;
    static final String LIST = "passwords/common-passwords.txt";

    private final Set<String> common;

    PasswordPolicy() {
        this.common = load();
    }

    /** Throws 400 validation_failed naming {@code field} when {@code password} may not be used by {@code username}. */
    void check(String field, String password, String username) {
        if (password == null || password.length() < MIN_LENGTH || password.length() > MAX_LENGTH) {
            throw ApiException.invalid(field, "must be " + MIN_LENGTH + "-" + MAX_LENGTH + " characters");
        }
        if (username != null && password.equalsIgnoreCase(username)) {
            throw ApiException.invalid(field, "must not be the username");
        }
        if (common.contains(password.toLowerCase(Locale.ROOT))) {
            throw ApiException.invalid(field, "is too common (it is on a list of leaked passwords); choose another");
        }
    }

    int listSize() {
        return common.size();
    }

    private static Set<String> load() {
        InputStream in = PasswordPolicy.class.getClassLoader().getResourceAsStream(LIST);
        if (in == null) {
            throw new IllegalStateException("The common password list " + LIST + " is missing from the build");
        }
        Set<String> passwords = new HashSet<>(16_384);
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.isEmpty()) {
                    passwords.add(line.toLowerCase(Locale.ROOT));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + LIST, e);
        }
        return Set.copyOf(passwords);
    }
}
