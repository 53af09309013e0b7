package dev.corral.user;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * Self-service sign-up, open only when an admin allows it (GET /api/setup tells the login page). The new account
 * waits for an admin's approval: it does not sign in, and no session is created here. Rate limited like sign-in.
 */
@RestController
class SignUpController {

    record SignUp(String username, String password) {
    }

    private final UserService users;

    SignUpController(UserService users) {
        this.users = users;
    }

    @PostMapping("/api/auth/signup")
    @ResponseStatus(HttpStatus.CREATED)
    User signUp(@RequestBody SignUp request) {
        return users.signUp(request.username(), request.password());
    }
}
