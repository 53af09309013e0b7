package dev.corral.user;

import jakarta.servlet.http.HttpServletRequest;

import org.springframework.http.HttpStatus;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;


/** The signed-in user's own account. */
@RestController
class AccountController {

    record PasswordChange(String currentPassword, String newPassword) {
    }

    private final UserService users;

    AccountController(UserService users) {
        this.users = users;
    }

    /**
     * Changes the caller's password, given the current one; every other session of the account ends. Not with an
     * API key: a leaked key must not be enough to take the account over.
     */
    @PostMapping("/api/me/password")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void changePassword(@AuthenticationPrincipal SignedInUser user, @RequestBody PasswordChange request,
                        HttpServletRequest http) {
        user.requireSession("Change your password in a signed-in session, not with an API key.");
        users.changeOwnPassword(user, request.currentPassword(), request.newPassword(),
                AdminUserController.sessionId(http));
    }
}
