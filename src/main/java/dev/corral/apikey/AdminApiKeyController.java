package dev.corral.apikey;

import java.util.List;

import org.springframework.http.HttpStatus;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import dev.corral.user.SignedInUser;
import dev.corral.web.ApiException;

/** Every user's API keys, for admins (the security configuration limits /api/admin/** to them). */
@RestController
@RequestMapping("/api/admin/keys")
class AdminApiKeyController {

    record AdminKeyList(List<ApiKeyService.AdminKeyView> items) {
    }

    private final ApiKeyService keys;

    AdminApiKeyController(ApiKeyService keys) {
        this.keys = keys;
    }

    /** All keys, or one user's with {@code ?userId=}. */
    @GetMapping
    AdminKeyList list(@RequestParam(required = false) String userId) {
        if (userId != null && (userId.isBlank() || userId.length() > 64)) {
            throw ApiException.invalid("userId", "must be a user id");
        }
        return new AdminKeyList(keys.listAll(userId));
    }

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void revoke(@AuthenticationPrincipal SignedInUser admin, @PathVariable String id) {
        keys.revokeAny(admin, id);
    }
}
