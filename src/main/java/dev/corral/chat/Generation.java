package dev.corral.chat;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import dev.corral.conversation.Message;
import dev.corral.ollama.Cancellation;

/**
 * One answer being generated: the text so far, held in memory for live listeners, and the cancel handle of its
 * Ollama request. Listeners read "everything after offset N", so a slow listener gets the missed text merged into
 * one delta instead of an ever-growing queue.
 */
final class Generation {

    /** What a listener gets: new text since its offset, and the final message once the answer is done. */
    record Update(String text, Message finished) {
    }

    final Message assistantMessage;
    final String userId;
    final Cancellation cancellation = new Cancellation();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final StringBuilder content = new StringBuilder();
    private Message finished;
    private int savedLength;

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
            changed.signalAll();
        } finally {
            lock.unlock();
        }
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
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until there is text after {@code offset} or the answer is done, at most {@code timeout}. */
    Update awaitUpdate(int offset, Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (content.length() <= offset && finished == null && nanos > 0) {
                nanos = changed.awaitNanos(nanos);
            }
            String text = content.length() > offset ? content.substring(offset) : "";
            return new Update(text, finished);
        } finally {
            lock.unlock();
        }
    }

    /** Waits for the end of the answer, at most {@code timeout}; null if it is still running. */
    Message awaitFinished(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (finished == null && nanos > 0) {
                nanos = changed.awaitNanos(nanos);
            }
            return finished;
        } finally {
            lock.unlock();
        }
    }

}
