package dev.corral.user;

import org.junit.jupiter.api.Test;

import dev.corral.web.ApiException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowable;

class PasswordPolicyTest {

    private final PasswordPolicy policy = new PasswordPolicy();

    @Test
    void theBundledListIsLoaded() {
        assertThat(policy.listSize()).isGreaterThan(12_000);
    }

    @Test
    void lengthUsernameAndCommonPasswords() {
        assertThatCode(() -> policy.check("password", "correct horse battery", "alice")).doesNotThrowAnyException();
        assertThatCode(() -> policy.check("password", "x".repeat(128), "alice")).doesNotThrowAnyException();
        assertThat(refusal("x".repeat(11), "alice")).isEqualTo("must be 12-128 characters");
        assertThat(refusal("x".repeat(129), "alice")).isEqualTo("must be 12-128 characters");
        assertThat(refusal(null, "alice")).isEqualTo("must be 12-128 characters");
        assertThat(refusal("Alice.Example", "alice.example")).isEqualTo("must not be the username");
        // Case does not matter, and no composition rule makes a listed password acceptable.
        assertThat(refusal("qwerty123456", "alice")).contains("too common");
        assertThat(refusal("QWERTY123456", "alice")).contains("too common");
        assertThat(refusal("1qaz2wsx3edc", "alice")).contains("too common");
    }

    private String refusal(String password, String username) {
        Throwable thrown = catchThrowable(() -> policy.check("password", password, username));
        assertThat(thrown).isInstanceOf(ApiException.class);
        return ((ApiException) thrown).fields().get("password");
    }
}
