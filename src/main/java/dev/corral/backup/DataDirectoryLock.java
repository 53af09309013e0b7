package dev.corral.backup;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * An exclusive lock on {@code CORRAL_DATA_DIR/.corral.lock}, held by a running Corral (SQLite) and by
 * {@code restore}, so that a restore never replaces the database under a running server. The operating system
 * releases it when the process ends, however it ends.
 */
public final class DataDirectoryLock implements AutoCloseable {

    public static final String FILE_NAME = ".corral.lock";

    /** Why the lock could not be taken. */
    public enum Holder {
        /** Another process (a running Corral or a restore). */
        OTHER_PROCESS,
        /** This JVM already holds it: only happens when tests run several Corrals in one JVM. */
        THIS_PROCESS
    }

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirectoryLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock, or tells who holds it. */
    public static Result tryAcquire(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve(FILE_NAME).toAbsolutePath();
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                return new Result(null, Holder.OTHER_PROCESS, file);
            }
            return new Result(new DataDirectoryLock(file, channel, lock), null, file);
        } catch (OverlappingFileLockException e) {
            channel.close();
            return new Result(null, Holder.THIS_PROCESS, file);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Either the lock, or who holds it. */
    public record Result(DataDirectoryLock lock, Holder heldBy, Path file) {
        public Optional<DataDirectoryLock> acquired() {
            return Optional.ofNullable(lock);
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } finally {
            channel.close();
        }
    }
}
