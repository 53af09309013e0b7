package dev.corral.user;

import java.util.List;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;

import org.springframework.http.HttpStatus;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import dev.corral.web.ApiException;

/** Account administration; the security configuration limits /api/admin/** to admins. */
@RestController
@RequestMapping("/api/admin/users")
class AdminUserController {

    record UserList(List<User> items) {
    }

    record CreateUser(String username, String password, Role role) {
    }

    /**
     * Any of the three; {@code rateLimitMultiplier} 1 resets the user's rate limits to the configured ones,
     * {@code enabled: true} approves a pending account.
     */
    record UpdateUser(Boolean enabled, Integer rateLimitMultiplier, Role role) {
    }

    record NewPassword(String password) {
    }

    private final UserService users;

    AdminUserController(UserService users) {
        this.users = users;
    }

    @GetMapping
    UserList list() {
        return new UserList(users.list());
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    User create(@AuthenticationPrincipal SignedInUser admin, @RequestBody CreateUser request) {
        refuseApiKey(admin, "create accounts");
        return users.create(admin, request.username(), request.password(),
                request.role() == null ? Role.USER : request.role());
    }

    @PatchMapping("/{id}")
    User update(@AuthenticationPrincipal SignedInUser admin, @PathVariable String id,
                @RequestBody UpdateUser request) {
        if (request.enabled() == null && request.rateLimitMultiplier() == null && request.role() == null) {
            throw ApiException.invalid("enabled", "must not be null (or give role or rateLimitMultiplier)");
        }
        if (request.role() != null) {
            refuseApiKey(admin, "change roles");
        }
        return users.update(admin, id, request.role(), request.enabled(), request.rateLimitMultiplier());
    }

    /** Deletes the account with its conversations, messages and API keys; 409 last_admin for the last admin. */
    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void delete(@AuthenticationPrincipal SignedInUser admin, @PathVariable String id) {
        users.delete(admin, id);
    }

    @PostMapping("/{id}/approve")
    User approve(@AuthenticationPrincipal SignedInUser admin, @PathVariable String id) {
        refuseApiKey(admin, "approve accounts");
        return users.approve(admin, id);
    }

    /** Sets a new password; the account's sessions end (the admin's own one stays when it is their account). */
    @PostMapping("/{id}/password")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void resetPassword(@AuthenticationPrincipal SignedInUser admin, @PathVariable String id,
                       @RequestBody NewPassword request, HttpServletRequest http) {
        refuseApiKey(admin, "reset passwords");
        users.resetPassword(admin, id, request.password(), sessionId(http));
    }

    /**
     * What would hand out a new way in (an account, a password, a role, an approval) needs a signed-in session: a
     * leaked admin key must not be able to make itself a successor that outlives its revocation.
     */
    static void refuseApiKey(SignedInUser caller, String what) {
        caller.requireSession("An API key cannot " + what + "; sign in to do that.");
    }

    static String sessionId(HttpServletRequest request) {
        HttpSession session = request.getSession(false);
        return session == null ? null : session.getId();
    }
}
