package dev.corral.conversation;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.event.EventListener;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import dev.corral.web.ApiException;

/**
 * Conversations and their message trees. Every method takes the acting user's id and treats another user's
 * conversation exactly like a missing one.
 */
@Service
public class ConversationService {

    public static final int MAX_TITLE_CHARS = 200;
    public static final int MAX_SYSTEM_PROMPT_CHARS = 20_000;
    public static final int MAX_MODEL_CHARS = 200;
    private static final int DEFAULT_TITLE_CHARS = 60;
    /** Ollama's model name grammar: [host/][namespace/]model[:tag]. */
    private static final Pattern MODEL_NAME = Pattern.compile(
            "[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*){0,2}(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?");
    private static final Logger log = LoggerFactory.getLogger(ConversationService.class);

    public record Page(List<Conversation> items, String nextCursor) {
    }

    public record ConversationView(Conversation conversation, List<Message> messages) {
    }

    /** A user's message and the assistant message that will hold the answer, both stored. */
    public record Turn(Conversation conversation, Message userMessage, Message assistantMessage, List<Message> history) {
    }

    /** Fields of a create or update request; null means "not given". */
    public record Settings(String title, String model, String systemPrompt, Double temperature,
                           boolean clearSystemPrompt, boolean clearTemperature) {
    }

    /** Published after a conversation is deleted, so that a generation still running for it stops. */
    public record ConversationDeleted(String conversationId) {
    }

    private final ConversationRepository conversations;
    private final MessageRepository messages;
    private final ApplicationEventPublisher events;

    ConversationService(ConversationRepository conversations, MessageRepository messages,
                        ApplicationEventPublisher events) {
        this.conversations = conversations;
        this.messages = messages;
        this.events = events;
    }

    public Page list(String userId, int limit, String cursor) {
        if (limit < 1 || limit > 100) {
            throw ApiException.invalid("limit", "must be between 1 and 100");
        }
        Long beforeUpdatedAt = null;
        String beforeId = null;
        if (cursor != null && !cursor.isEmpty()) {
            try {
                String decoded = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                beforeUpdatedAt = Long.parseLong(decoded.substring(0, colon));
                beforeId = decoded.substring(colon + 1);
            } catch (RuntimeException e) {
                throw ApiException.invalid("cursor", "is not a cursor this server returned");
            }
        }
        List<Conversation> page = conversations.page(userId, beforeUpdatedAt, beforeId, limit + 1);
        String next = null;
        if (page.size() > limit) {
            page = page.subList(0, limit);
            Conversation last = page.getLast();
            next = Base64.getUrlEncoder().withoutPadding().encodeToString(
                    (last.updatedAt().toEpochMilli() + ":" + last.id()).getBytes(StandardCharsets.UTF_8));
        }
        return new Page(List.copyOf(page), next);
    }

    @Transactional
    public Conversation create(String userId, Settings settings) {
        if (settings.model() == null) {
            throw ApiException.invalid("model", "is required");
        }
        validate(settings);
        Instant now = Instant.now();
        Conversation c = new Conversation(UUID.randomUUID().toString(), userId, blankToNull(settings.title()),
                settings.model(), blankToNull(settings.systemPrompt()), settings.temperature(), null, now, now, false);
        conversations.insert(c);
        return c;
    }

    public Conversation get(String userId, String id) {
        return conversations.find(userId, id).orElseThrow(ApiException::notFound);
    }

    public ConversationView view(String userId, String id) {
        Conversation c = get(userId, id);
        List<Message> path = c.currentLeafId() == null ? List.of() : messages.path(c.id(), c.currentLeafId());
        return new ConversationView(c, path);
    }

    @Transactional
    public Conversation update(String userId, String id, Settings settings) {
        validate(settings);
        Conversation c = get(userId, id);
        Conversation updated = new Conversation(c.id(), c.userId(),
                settings.title() == null ? c.title() : blankToNull(settings.title()),
                settings.model() == null ? c.model() : settings.model(),
                settings.clearSystemPrompt() ? null
                        : settings.systemPrompt() == null ? c.systemPrompt() : blankToNull(settings.systemPrompt()),
                settings.clearTemperature() ? null
                        : settings.temperature() == null ? c.temperature() : settings.temperature(),
                c.currentLeafId(), c.createdAt(), Instant.now(), c.generating());
        conversations.update(updated);
        return updated;
    }

    @Transactional
    public void delete(String userId, String id) {
        if (!conversations.delete(userId, id)) {
            throw ApiException.notFound();
        }
        events.publishEvent(new ConversationDeleted(id));
    }

    public Optional<Message> findMessage(String userId, String conversationId, String messageId) {
        return conversations.find(userId, conversationId).flatMap(c -> messages.find(c.id(), messageId));
    }

    /**
     * Stores the user's message and an empty assistant message after the conversation's current leaf, in one
     * transaction and before anything is sent to Ollama.
     */
    @Transactional
    public Turn startTurn(String userId, String conversationId, String content) {
        Conversation c = get(userId, conversationId);
        Instant now = Instant.now();
        Message user = new Message(UUID.randomUUID().toString(), c.id(), c.currentLeafId(), Message.Role.USER,
                content, Message.Status.COMPLETE, null, null, null, now, now);
        messages.insert(user);
        return answer(userId, c, user, defaultTitle(content), now);
    }

    /**
     * Stores a new, empty answer to the user message that {@code assistantMessageId} answered: a sibling branch,
     * which becomes the conversation's current path. The old answer stays in the tree.
     */
    @Transactional
    public Turn startRegeneration(String userId, String conversationId, String assistantMessageId) {
        Conversation c = get(userId, conversationId);
        Message previous = messages.find(c.id(), assistantMessageId)
                .filter(m -> m.role() == Message.Role.ASSISTANT)
                .orElseThrow(ApiException::notFound);
        Message user = messages.find(c.id(), previous.parentId()).orElseThrow(ApiException::notFound);
        return answer(userId, c, user, null, Instant.now());
    }

    private Turn answer(String userId, Conversation c, Message user, String titleIfUnset, Instant now) {
        Message assistant = new Message(UUID.randomUUID().toString(), c.id(), user.id(), Message.Role.ASSISTANT, "",
                Message.Status.STREAMING, c.model(), null, null, now, now);
        messages.insert(assistant);
        conversations.moveLeaf(c.id(), assistant.id(), titleIfUnset, now.toEpochMilli());
        List<Message> history = messages.path(c.id(), user.id());
        Conversation updated = conversations.find(userId, c.id()).orElseThrow();
        return new Turn(updated, user, assistant, history);
    }

    /**
     * Writes the part of each answer generated so far (only while a message is still streaming), all in one
     * transaction: one commit for every running answer.
     */
    @Transactional
    public void saveProgress(Map<String, String> contentByMessageId) {
        messages.updateContents(contentByMessageId, System.currentTimeMillis());
    }

    public void finish(String messageId, String content, Message.Status status, Message.Error error,
                       Message.Stats stats) {
        messages.finish(messageId, content, status, error, stats, System.currentTimeMillis());
    }

    /** Answers that were streaming when Corral last stopped keep what was stored and are marked interrupted. */
    @EventListener(ApplicationReadyEvent.class)
    void markInterruptedGenerations() {
        int count = messages.markAllStreamingInterrupted(System.currentTimeMillis());
        if (count > 0) {
            log.warn("Marked {} answer(s) interrupted by the last shutdown.", count);
        }
    }

    static String defaultTitle(String content) {
        String flat = content.strip().replaceAll("\\s+", " ");
        if (flat.length() <= DEFAULT_TITLE_CHARS) {
            return flat.isEmpty() ? "New chat" : flat;
        }
        int cut = flat.lastIndexOf(' ', DEFAULT_TITLE_CHARS);
        return flat.substring(0, cut > DEFAULT_TITLE_CHARS / 2 ? cut : DEFAULT_TITLE_CHARS) + "…";
    }

    private static void validate(Settings s) {
        if (s.title() != null && s.title().length() > MAX_TITLE_CHARS) {
            throw ApiException.invalid("title", "must be at most " + MAX_TITLE_CHARS + " characters");
        }
        if (s.model() != null && (s.model().length() > MAX_MODEL_CHARS || !MODEL_NAME.matcher(s.model()).matches())) {
            throw ApiException.invalid("model", "is not a valid Ollama model name");
        }
        if (s.systemPrompt() != null && s.systemPrompt().length() > MAX_SYSTEM_PROMPT_CHARS) {
            throw ApiException.invalid("systemPrompt", "must be at most " + MAX_SYSTEM_PROMPT_CHARS + " characters");
        }
        if (s.temperature() != null && (s.temperature().isNaN() || s.temperature() < 0 || s.temperature() > 2)) {
            throw ApiException.invalid("temperature", "must be between 0 and 2");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
