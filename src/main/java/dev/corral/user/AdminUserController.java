package dev.corral.user;

import java.util.List;

import org.springframework.http.HttpStatus;
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

    /** Either or both; {@code rateLimitMultiplier} 1 resets the user's rate limits to the configured ones. */
    record UpdateUser(Boolean enabled, Integer rateLimitMultiplier) {
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
    User create(@RequestBody CreateUser request) {
        return users.create(request.username(), request.password(), request.role() == null ? Role.USER : request.role());
    }

    @PatchMapping("/{id}")
    User update(@PathVariable String id, @RequestBody UpdateUser request) {
        if (request.enabled() == null && request.rateLimitMultiplier() == null) {
            throw ApiException.invalid("enabled", "must not be null (or give rateLimitMultiplier)");
        }
        Integer multiplier = request.rateLimitMultiplier();
        if (multiplier != null && (multiplier < 1 || multiplier > UserService.MAX_RATE_LIMIT_MULTIPLIER)) {
            // Checked before anything changes.
            throw ApiException.invalid("rateLimitMultiplier", "must be 1-" + UserService.MAX_RATE_LIMIT_MULTIPLIER);
        }
        User user = null;
        if (request.rateLimitMultiplier() != null) {
            user = users.setRateLimitMultiplier(id, request.rateLimitMultiplier());
        }
        if (request.enabled() != null) {
            user = users.setEnabled(id, request.enabled());
        }
        return user;
    }
}
