package dev.corral.user;

import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** Account administration; the security configuration limits /api/admin/** to admins. */
@RestController
@RequestMapping("/api/admin/users")
class AdminUserController {

    record UserList(List<User> items) {
    }

    record CreateUser(String username, String password, Role role) {
    }

    record UpdateUser(@NotNull Boolean enabled) {
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
    User update(@PathVariable String id, @Valid @RequestBody UpdateUser request) {
        return users.setEnabled(id, request.enabled());
    }
}
