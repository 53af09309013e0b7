package dev.corral.chat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import tools.jackson.databind.json.JsonMapper;

import dev.corral.user.SignedInUser;
import dev.corral.conversation.ConversationService;
import dev.corral.conversation.Message;
import dev.corral.web.ApiException;

/**
 * Sending a message and following an answer as server-sent events. The event stream is only a window on the
 * generation: closing it does not stop the answer, which keeps being generated and stored.
 */
@RestController
@RequestMapping("/api/conversations/{conversationId}/messages")
class ChatController {

    record SendMessage(String content) {
    }

    private final GenerationService generations;
    private final ConversationService conversations;
    private final JsonMapper json;

    ChatController(GenerationService generations, ConversationService conversations, JsonMapper json) {
        this.generations = generations;
        this.conversations = conversations;
        this.json = json;
    }

    @PostMapping
    void send(@AuthenticationPrincipal SignedInUser user, @PathVariable String conversationId,
              @RequestBody SendMessage message, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        stream(generations.start(user.id(), conversationId, message.content()), request, response);
    }

    private void stream(GenerationService.Started started, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        ServletOutputStream out = openEventStream(response);
        if (send(out, "start", Map.of("userMessage", started.turn().userMessage(),
                "assistantMessage", started.turn().assistantMessage()))) {
            ChatStartAdmission.onContainerThread(request,
                    () -> LiveEventStream.follow(request, out, started.generation(), 0, json));
        }
    }

    /** Answers the same user message again (e.g. after a failure), as a new branch that becomes the current path. */
    @PostMapping("/{messageId}/regenerate")
    void regenerate(@AuthenticationPrincipal SignedInUser user, @PathVariable String conversationId,
                    @PathVariable String messageId, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        stream(generations.regenerate(user.id(), conversationId, messageId), request, response);
    }

    @GetMapping("/{messageId}/events")
    void events(@AuthenticationPrincipal SignedInUser user, @PathVariable String conversationId,
                @PathVariable String messageId, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        // Looked up before the stored message is read: an answer stops running only after its end is stored, so
        // when it is not running any more, what is read next is final.
        Generation live = generations.running(messageId).orElse(null);
        Message stored = conversations.findMessage(user.id(), conversationId, messageId)
                .filter(m -> m.role() == Message.Role.ASSISTANT)
                .orElseThrow(ApiException::notFound);
        ServletOutputStream out = openEventStream(response);
        if (live == null) {
            if (send(out, "snapshot", Map.of("message", stored))) {
                send(out, "done", Map.of("message", stored));
            }
            return;
        }
        String soFar = live.content();
        Message snapshot = new Message(stored.id(), stored.conversationId(), stored.parentId(), stored.role(), soFar,
                Message.Status.STREAMING, stored.model(), null, null, stored.createdAt(), stored.updatedAt());
        if (send(out, "snapshot", Map.of("message", snapshot))) {
            LiveEventStream.follow(request, out, live, soFar.length(), json);
        }
    }

    @PostMapping("/{messageId}/stop")
    ResponseEntity<Message> stop(@AuthenticationPrincipal SignedInUser user, @PathVariable String conversationId,
                                 @PathVariable String messageId) throws InterruptedException {
        Message stored = conversations.findMessage(user.id(), conversationId, messageId)
                .orElseThrow(ApiException::notFound);
        Message stopped = generations.stop(messageId).orElse(null);
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(stopped != null ? stopped
                : conversations.findMessage(user.id(), conversationId, messageId).orElse(stored));
    }

    private static ServletOutputStream openEventStream(HttpServletResponse response) throws IOException {
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType("text/event-stream;charset=UTF-8");
        response.setHeader("Cache-Control", "no-cache, no-store");
        // Proxies such as nginx must pass events through instead of buffering them.
        response.setHeader("X-Accel-Buffering", "no");
        return response.getOutputStream();
    }

    /** Writes one event; false when the client has gone away (the generation carries on regardless). */
    private boolean send(OutputStream out, String event, Object data) {
        try {
            out.write(("event: " + event + "\ndata: " + json.writeValueAsString(data) + "\n\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            return true;
        } catch (IOException | IllegalStateException e) {
            return false;
        }
    }
}
