package dev.corral.chat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;

import dev.corral.config.CorralProperties;
import dev.corral.conversation.ConversationService;
import dev.corral.conversation.Message;
import dev.corral.ollama.OllamaClient;
import dev.corral.ollama.OllamaException;
import dev.corral.user.AccountDeleted;
import dev.corral.web.ApiException;
import dev.corral.web.ErrorCode;

/**
 * Runs generations on the server, each on its own virtual thread and independent of any browser connection: the
 * user's message is stored first, the answer is written to the database as it streams and completed with Ollama's
 * statistics, and listeners (the browser's event streams) attach and detach freely.
 *
 * <p>On shutdown (SIGTERM) it stops first, before the web server: new chats are refused at once with 503
 * {@code shutting_down}, running answers get SHUTDOWN_GRACE to finish, and what is still running then is stopped and
 * stored as {@code interrupted} with its text.
 */
@Service
public class GenerationService implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(GenerationService.class);
    private static final Generation RESERVED = new Generation(null, null);
    private static final long MIN_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    record Started(ConversationService.Turn turn, Generation generation) {
    }

    private final ConversationService conversations;
    private final OllamaClient ollama;
    private final CorralProperties.Chat settings;
    private final Map<String, Generation> byMessage = new ConcurrentHashMap<>();
    private final Map<String, Generation> byConversation = new ConcurrentHashMap<>();
    private final Thread progressWriter;
    private volatile boolean shuttingDown;
    private final MeterRegistry meters;
    private final Map<Message.Status, Counter> outcomes = new EnumMap<>(Message.Status.class);
    private volatile boolean lifecycleRunning;

    GenerationService(ConversationService conversations, OllamaClient ollama, CorralProperties properties,
                      MeterRegistry meters) {
        this.conversations = conversations;
        this.ollama = ollama;
        this.settings = properties.chat();
        this.meters = meters;
        Gauge.builder("corral.chat.generations.active", this, GenerationService::activeCount)
                .description("Answers being generated now")
                .register(meters);
        for (Message.Status status : List.of(Message.Status.COMPLETE, Message.Status.STOPPED, Message.Status.FAILED,
                Message.Status.INTERRUPTED)) {
            outcomes.put(status, Counter.builder("corral.chat.generations")
                    .description("Finished generations, by how they ended")
                    .tag("outcome", status.name().toLowerCase(Locale.ROOT))
                    .register(meters));
        }
        // A platform thread: a pass over a thousand answers is milliseconds of database work, which the operating
        // system can preempt for the threads relaying tokens; on a virtual thread they would queue behind it.
        this.progressWriter = Thread.ofPlatform().daemon().name("answer-progress-writer")
                .unstarted(this::writeProgressPeriodically);
    }

    @PostConstruct
    void startProgressWriter() {
        progressWriter.start();
    }

    Started start(String userId, String conversationId, String content) {
        if (content == null || content.isBlank()) {
            throw ApiException.invalid("content", "must not be empty");
        }
        if (content.length() > settings.maxMessageChars()) {
            throw ApiException.invalid("content", "must be at most " + settings.maxMessageChars() + " characters");
        }
        return launch(userId, conversationId, () -> conversations.startTurn(userId, conversationId, content));
    }

    /** A new answer to the same user message, as a sibling of {@code assistantMessageId} (a new branch). */
    Started regenerate(String userId, String conversationId, String assistantMessageId) {
        return launch(userId, conversationId,
                () -> conversations.startRegeneration(userId, conversationId, assistantMessageId));
    }

    private Started launch(String userId, String conversationId, Supplier<ConversationService.Turn> storeTurn) {
        if (shuttingDown) {
            throw new ApiException(ErrorCode.SHUTTING_DOWN, "Corral is shutting down; try again in a moment.");
        }
        // One generation per conversation at a time: reserve the slot before storing anything.
        if (byConversation.putIfAbsent(conversationId, RESERVED) != null) {
            conversations.get(userId, conversationId); // 404 for a stranger's conversation, never a 409
            throw new ApiException(ErrorCode.GENERATION_IN_PROGRESS,
                    "An answer is still being generated in this conversation; stop it or wait.");
        }
        ConversationService.Turn turn;
        try {
            turn = storeTurn.get();
        } catch (RuntimeException e) {
            byConversation.remove(conversationId, RESERVED);
            throw e;
        }
        Generation generation = new Generation(turn.assistantMessage(), userId);
        byMessage.put(generation.messageId(), generation);
        byConversation.put(conversationId, generation);
        // The answer's log lines carry the request id and user id of the request that started it.
        Map<String, String> logContext = MDC.getCopyOfContextMap();
        Thread.ofVirtual().name("generation-" + generation.messageId()).start(() -> {
            if (logContext != null) {
                MDC.setContextMap(logContext);
            }
            run(generation, turn);
        });
        return new Started(turn, generation);
    }

    Optional<Generation> running(String messageId) {
        return Optional.ofNullable(byMessage.get(messageId));
    }

    /** Stops a running generation and waits (briefly) until what it generated is stored. */
    Optional<Message> stop(String messageId) throws InterruptedException {
        Generation generation = byMessage.get(messageId);
        if (generation == null) {
            return Optional.empty();
        }
        generation.cancellation.cancel();
        return Optional.ofNullable(generation.awaitFinished(Duration.ofSeconds(5)));
    }

    int activeCount() {
        return byMessage.size();
    }

    @EventListener
    void onConversationDeleted(ConversationService.ConversationDeleted event) {
        Generation generation = byConversation.get(event.conversationId());
        if (generation != null && generation != RESERVED) {
            generation.cancellation.cancel();
        }
    }

    /** A deleted account's conversations are gone (ON DELETE CASCADE): stop their running answers too. */
    @EventListener
    void onAccountDeleted(AccountDeleted event) {
        byConversation.values().stream()
                .filter(generation -> generation != RESERVED && event.userId().equals(generation.userId))
                .forEach(generation -> generation.cancellation.cancel());
    }

    private void run(Generation generation, ConversationService.Turn turn) {
        String messageId = generation.messageId();
        Message.Status status;
        Message.Error error = null;
        Message.Stats stats = null;
        String model = turn.conversation().model();
        try {
            OllamaClient.ChatResult result = ollama.chat(request(turn), relay(generation, model),
                    generation.cancellation);
            status = Message.Status.COMPLETE;
            stats = new Message.Stats(result.doneReason(), result.promptEvalCount(), result.evalCount(),
                    result.totalDuration(), result.loadDuration(), result.promptEvalDuration(), result.evalDuration());
            recordTokensPerSecond(model, result);
        } catch (CancellationException e) {
            status = shuttingDown ? Message.Status.INTERRUPTED : Message.Status.STOPPED;
        } catch (OllamaException e) {
            status = generation.cancellation.isCancelled() ? Message.Status.STOPPED : Message.Status.FAILED;
            error = status == Message.Status.FAILED ? new Message.Error(e.code().code(), e.getMessage()) : null;
        } catch (RuntimeException e) {
            log.error("Generation {} failed", messageId, e);
            status = Message.Status.FAILED;
            error = new Message.Error(ErrorCode.INTERNAL_ERROR.code(), "Something went wrong on the server.");
        }
        String content = generation.content();
        Message done = new Message(messageId, generation.conversationId(), turn.userMessage().id(),
                Message.Role.ASSISTANT, content, status, generation.assistantMessage.model(), error, stats,
                generation.assistantMessage.createdAt(), Instant.now());
        try {
            conversations.finish(messageId, content, status, error, stats);
        } catch (RuntimeException e) {
            log.error("Could not store the end of answer {}", messageId, e);
        } finally {
            // Free the conversation before telling listeners: a client that sends its next message as soon as it
            // sees "done" must not be refused as still generating.
            byMessage.remove(messageId, generation);
            byConversation.remove(generation.conversationId(), generation);
            generation.finish(done);
            outcomes.get(status).increment();
        }
    }

    // Metrics tagged by model: the series stay few because only models Ollama actually has produce tokens (a
    // conversation naming an unknown model fails before its first token).

    /** Generation speed as Ollama measured it (eval_count over eval_duration), not counting prompt processing. */
    private void recordTokensPerSecond(String model, OllamaClient.ChatResult result) {
        if (result.evalCount() == null || result.evalDuration() == null || result.evalCount() <= 0
                || result.evalDuration() <= 0) {
            return;
        }
        DistributionSummary.builder("corral.chat.tokens.per.second")
                .description("Generation speed of completed answers (Ollama's eval_count / eval_duration)")
                .tag("model", model)
                .serviceLevelObjectives(1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500)
                .register(meters)
                .record(result.evalCount() * 1e9 / result.evalDuration());
    }

    private void recordTimeToFirstToken(String model, long nanos) {
        Timer.builder("corral.chat.ttft")
                .description("Time from starting an answer to its first token (queueing and model loading included)")
                .tag("model", model)
                .publishPercentileHistogram()
                .maximumExpectedValue(Duration.ofMinutes(5))
                .register(meters)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    private static OllamaClient.ChatRequest request(ConversationService.Turn turn) {
        List<OllamaClient.ChatMessage> messages = new ArrayList<>();
        String system = turn.conversation().systemPrompt();
        if (system != null && !system.isBlank()) {
            messages.add(new OllamaClient.ChatMessage("system", system));
        }
        for (Message m : turn.history()) {
            // Failed answers with nothing in them are not part of the dialogue.
            if (!m.content().isEmpty()) {
                messages.add(new OllamaClient.ChatMessage(m.role().json(), m.content()));
            }
        }
        return new OllamaClient.ChatRequest(turn.conversation().model(), messages, turn.conversation().temperature());
    }

    /** Hands each piece of text to the generation's listeners, timing the first one. */
    private Consumer<String> relay(Generation generation, String model) {
        long started = System.nanoTime();
        AtomicBoolean first = new AtomicBoolean(true);
        return text -> {
            if (first.compareAndSet(true, false)) {
                recordTimeToFirstToken(model, System.nanoTime() - started);
            }
            generation.append(text);
        };
    }

    /**
     * Stores the text of every running answer that grew since the last pass, every flush interval, in one
     * transaction. Done here rather than on each generation's thread so that relaying tokens never waits for
     * the database, and a thousand answers cost one commit a second, not a thousand. Every keep-alive interval it
     * also nudges the listeners of every running answer.
     */
    private void writeProgressPeriodically() {
        // At least 10 ms each: a zero or negative setting must not make this loop spin.
        long flushNanos = Math.max(MIN_INTERVAL_NANOS, settings.flushInterval().toNanos());
        long keepAliveNanos = Math.max(MIN_INTERVAL_NANOS, settings.keepAliveInterval().toNanos());
        long lastWrite = System.nanoTime();
        long lastNudge = lastWrite;
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(Duration.ofNanos(Math.min(flushNanos, keepAliveNanos)));
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            if (now - lastWrite >= flushNanos) {
                lastWrite = now;
                writeProgress();
            }
            if (now - lastNudge >= keepAliveNanos) {
                lastNudge = now;
                byMessage.values().forEach(Generation::nudge);
            }
        }
    }

    private void writeProgress() {
        Map<String, String> unsaved = new HashMap<>();
        for (Generation generation : byMessage.values()) {
            String text = generation.takeUnsavedContent();
            if (text != null) {
                unsaved.put(generation.messageId(), text);
            }
        }
        if (unsaved.isEmpty()) {
            return;
        }
        try {
            conversations.saveProgress(unsaved);
        } catch (RuntimeException e) {
            // Keep generating; the next pass (or the final write of each answer) stores the text.
            log.warn("Could not store the progress of {} answer(s): {}", unsaved.size(), e.getMessage());
            unsaved.keySet().forEach(id -> running(id).ifPresent(Generation::markUnsaved));
        }
    }

    /** Also after a stop without close (Spring's test framework pauses cached contexts): take chats again. */
    @Override
    public void start() {
        shuttingDown = false;
        lifecycleRunning = true;
    }

    @Override
    public boolean isRunning() {
        return lifecycleRunning;
    }

    /** The highest phase stops first: before the web server's graceful shutdown waits for open requests. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE;
    }

    /** Refuses new chats, waits up to the shutdown grace for running answers, then stops the rest. */
    @Override
    public void stop() {
        shuttingDown = true;
        try {
            drain(settings.shutdownGrace());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lifecycleRunning = false;
        }
    }

    /** Safety net when the context closes without a lifecycle stop: stops what still runs, keeping its text. */
    @PreDestroy
    void shutdown() throws InterruptedException {
        shuttingDown = true;
        drain(Duration.ZERO);
        progressWriter.interrupt();
    }

    private void drain(Duration grace) throws InterruptedException {
        List<Generation> running = List.copyOf(byMessage.values());
        if (!running.isEmpty() && grace.isPositive()) {
            log.info("Shutting down: waiting up to {} s for {} running answer(s)", grace.toSeconds(), running.size());
        }
        long deadline = System.nanoTime() + grace.toNanos();
        for (Generation g : running) {
            g.awaitFinished(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        // Whatever is left, including a chat that started just as the shutdown began.
        List<Generation> left = new ArrayList<>();
        for (Generation g : byMessage.values()) {
            if (g.awaitFinished(Duration.ZERO) == null) {
                left.add(g);
            }
        }
        left.forEach(g -> g.cancellation.cancel());
        for (Generation g : left) {
            g.awaitFinished(Duration.ofSeconds(5));
        }
        if (!left.isEmpty()) {
            log.warn("Shutting down: stopped {} answer(s) still running; stored as interrupted", left.size());
        }
    }
}
