package dev.corral.backup;

import java.io.IOException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

import dev.corral.config.CorralProperties;
import dev.corral.config.DatabaseLocation;
import dev.corral.config.StartupRefusedException;

/**
 * The running server's hold on the data directory (SQLite only). Taken before the database is migrated; a second
 * process on the same data directory (another Corral, a restore) makes Corral refuse to start.
 */
@Component
public class ServerDataDirectoryLock implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(ServerDataDirectoryLock.class);

    private final DataDirectoryLock lock;

    ServerDataDirectoryLock(CorralProperties properties) throws IOException {
        if (!DatabaseLocation.isSqlite(properties)) {
            lock = null;
            return;
        }
        DataDirectoryLock.Result result = DataDirectoryLock.tryAcquire(properties.dataDir());
        if (result.heldBy() == DataDirectoryLock.Holder.OTHER_PROCESS) {
            throw new StartupRefusedException("Another process holds " + result.file()
                    + ": a Corral or a restore is already using the data directory " + properties.dataDir() + ".",
                    "Stop the other Corral (or wait for the restore to finish), or give this one its own "
                            + "CORRAL_DATA_DIR.");
        }
        if (result.heldBy() == DataDirectoryLock.Holder.THIS_PROCESS) {
            log.warn("This JVM already holds {}; running a second Corral on the same data directory", result.file());
        }
        lock = result.lock();
    }

    @Override
    public void destroy() throws IOException {
        if (lock != null) {
            lock.close();
        }
    }
}
