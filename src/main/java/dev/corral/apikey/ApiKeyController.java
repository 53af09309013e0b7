package dev.corral.apikey;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

import org.springframework.http.HttpStatus;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import tools.jackson.databind.JsonNode;

import dev.corral.user.SignedInUser;
import dev.corral.web.ApiException;

/** The caller's own API keys. Another user's key id is a 404, like a made-up one. */
@RestController
@RequestMapping("/api/keys")
class ApiKeyController {

    record KeyList(List<ApiKeyService.KeyView> items) {
    }

    private final ApiKeyService keys;

    ApiKeyController(ApiKeyService keys) {
        this.keys = keys;
    }

    @GetMapping
    KeyList list(@AuthenticationPrincipal SignedInUser user) {
        return new KeyList(keys.list(user.id()));
    }

    /** {@code {"name", "expiresAt"?}}: 201 with the secret, the only time it is shown. */
    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    ApiKeyService.CreatedKey create(@AuthenticationPrincipal SignedInUser user, @RequestBody JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiException.invalid("body", "must be a JSON object");
        }
        JsonNode name = body.get("name");
        if (name != null && !name.isNull() && !name.isString()) {
            throw ApiException.invalid("name", "must be a string");
        }
        String text = name == null || name.isNull() ? null : name.asString();
        Instant expiresAt = instant(body, "expiresAt");
        return keys.create(user, text, expiresAt);
    }

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void revoke(@AuthenticationPrincipal SignedInUser user, @PathVariable String id) {
        keys.revoke(user, id);
    }

    /**
     * A new key with the same name; optional body {@code {"expiresAt": instant | null}} (absent: the old key's
     * expiry). 201 with the new secret.
     */
    @PostMapping("/{id}/rotate")
    @ResponseStatus(HttpStatus.CREATED)
    ApiKeyService.CreatedKey rotate(@AuthenticationPrincipal SignedInUser user, @PathVariable String id,
                                    @RequestBody(required = false) JsonNode body) {
        if (body != null && !body.isObject() && !body.isMissingNode() && !body.isNull()) {
            throw ApiException.invalid("body", "must be a JSON object");
        }
        boolean keepExpiry = body == null || !body.isObject() || !body.has("expiresAt");
        return keys.rotate(user, id, keepExpiry, keepExpiry ? null : instant(body, "expiresAt"));
    }

    /** An ISO-8601 instant ({@code 2027-01-31T00:00:00Z}), or null when absent or null. */
    private static Instant instant(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        String message = "must be an ISO-8601 instant such as 2027-01-31T00:00:00Z, or null";
        if (!node.isString() || node.asString().length() > 64) {
            throw ApiException.invalid(field, message);
        }
        try {
            return Instant.parse(node.asString());
        } catch (DateTimeParseException e) {
            throw ApiException.invalid(field, message);
        }
    }
}
