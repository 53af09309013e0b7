package dev.corral.chat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.corral.conversation.Message;
import dev.corral.ollama.Cancellation;

/**
 * One answer being generated: the text so far, held in memory for live listeners, and the cancel handle of its
 * Ollama request. Listeners are told when something changed and read "everything after offset N", so a slow
 * listener gets the missed text merged into one delta instead of an ever-growing queue.
 */
final class Generation {

    private static final Logger log = LoggerFactory.getLogger(Generation.class);

    /** What a listener gets: new text since its offset, and the final message once the answer is done. */
    record Update(String text, Message finished) {
    }

    /**
     * Someone following the answer (an event stream). Called on the thread that changed the answer, outside its
     * lock: it must not block, and it reads what it needs with {@link #updateSince}.
     */
    interface Listener {
        /** Text was appended or the answer finished. */
        void changed();

        /** Nothing may have happened for a while: time for a keep-alive. */
        void keepAlive();
    }

    final Message assistantMessage;
    final String userId;
    final Cancellation cancellation = new Cancellation();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition finishedSignal = lock.newCondition();
    private final StringBuilder content = new StringBuilder();
    private Message finished;
    private int savedLength;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    Generation(Message assistantMessage, String userId) {
        this.assistantMessage = assistantMessage;
        this.userId = userId;
    }

    String messageId() {
        return assistantMessage.id();
    }

    String conversationId() {
        return assistantMessage.conversationId();
    }

    void append(String text) {
        lock.lock();
        try {
            content.append(text);
        } finally {
            lock.unlock();
        }
        notifyListeners();
    }

    String content() {
        lock.lock();
        try {
            return content.toString();
        } finally {
            lock.unlock();
        }
    }

    /** The whole text if it grew since the last call, else null; for the periodic progress writer. */
    String takeUnsavedContent() {
        lock.lock();
        try {
            if (content.length() == savedLength || finished != null) {
                return null;
            }
            savedLength = content.length();
            return content.toString();
        } finally {
            lock.unlock();
        }
    }

    /** The last write failed: offer the text again on the next pass. */
    void markUnsaved() {
        lock.lock();
        try {
            savedLength = -1;
        } finally {
            lock.unlock();
        }
    }

    void finish(Message message) {
        lock.lock();
        try {
            finished = message;
            finishedSignal.signalAll();
        } finally {
            lock.unlock();
        }
        notifyListeners();
    }

    /** Whether there is text after {@code offset} or the answer is done: what {@link #updateSince} would return. */
    boolean hasNewsSince(int offset) {
        lock.lock();
        try {
            return content.length() > offset || finished != null;
        } finally {
            lock.unlock();
        }
    }

    /** The text after {@code offset} (possibly empty) and the final message if the answer is done; never waits. */
    Update updateSince(int offset) {
        lock.lock();
        try {
            String text = content.length() > offset ? content.substring(offset) : "";
            return new Update(text, finished);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Registers a listener and tells it once right away, so that nothing appended before it registered is missed:
     * listeners read "everything after my offset" on each call.
     */
    void addListener(Listener listener) {
        listeners.add(listener);
        listener.changed();
    }

    void removeListener(Listener listener) {
        listeners.remove(listener);
    }

    /** Asks every listener to send a keep-alive (called periodically by the generation service). */
    void nudge() {
        for (Listener listener : listeners) {
            try {
                listener.keepAlive();
            } catch (RuntimeException e) {
                log.warn("An event stream of answer {} failed: {}", messageId(), e.toString());
            }
        }
    }

    /** A failing listener must not fail the answer: this runs on the generation's thread. */
    private void notifyListeners() {
        for (Listener listener : listeners) {
            try {
                listener.changed();
            } catch (RuntimeException e) {
                log.warn("An event stream of answer {} failed: {}", messageId(), e.toString());
            }
        }
    }

    /** Waits for the end of the answer, at most {@code timeout}; null if it is still running. */
    Message awaitFinished(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (finished == null && nanos > 0) {
                nanos = finishedSignal.awaitNanos(nanos);
            }
            return finished;
        } finally {
            lock.unlock();
        }
    }

}
