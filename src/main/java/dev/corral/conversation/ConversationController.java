package dev.corral.conversation;

import org.springframework.http.HttpStatus;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import tools.jackson.databind.JsonNode;

import dev.corral.user.SignedInUser;
import dev.corral.web.ApiException;

@RestController
@RequestMapping("/api/conversations")
class ConversationController {

    private final ConversationService conversations;

    ConversationController(ConversationService conversations) {
        this.conversations = conversations;
    }

    @GetMapping
    ConversationService.Page list(@AuthenticationPrincipal SignedInUser user,
                                  @RequestParam(defaultValue = "30") int limit,
                                  @RequestParam(required = false) String cursor) {
        return conversations.list(user.id(), limit, cursor);
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    Conversation create(@AuthenticationPrincipal SignedInUser user, @RequestBody JsonNode body) {
        return conversations.create(user.id(), settings(body));
    }

    @GetMapping("/{id}")
    ConversationService.ConversationView get(@AuthenticationPrincipal SignedInUser user, @PathVariable String id) {
        return conversations.view(user.id(), id);
    }

    @PatchMapping("/{id}")
    Conversation update(@AuthenticationPrincipal SignedInUser user, @PathVariable String id,
                        @RequestBody JsonNode body) {
        return conversations.update(user.id(), id, settings(body));
    }

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void delete(@AuthenticationPrincipal SignedInUser user, @PathVariable String id) {
        conversations.delete(user.id(), id);
    }

    /**
     * Reads settings from a JSON object by hand so that an explicit {@code null} (clear the value) differs from an
     * absent field (keep it), and a wrong type is a field-level error.
     */
    private static ConversationService.Settings settings(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiException.invalid("body", "must be a JSON object");
        }
        return new ConversationService.Settings(
                text(body, "title"), text(body, "model"), text(body, "systemPrompt"), number(body, "temperature"),
                body.has("systemPrompt") && body.get("systemPrompt").isNull(),
                body.has("temperature") && body.get("temperature").isNull());
    }

    private static String text(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isString()) {
            throw ApiException.invalid(field, "must be a string");
        }
        return node.asString();
    }

    private static Double number(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isNumber()) {
            throw ApiException.invalid(field, "must be a number");
        }
        return node.asDouble();
    }
}
