package dev.corral.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.stereotype.Component;

import dev.corral.config.CorralProperties;

/**
 * The {@code dataDirectory} health check: Corral can write to CORRAL_DATA_DIR (a file is created and deleted) and
 * the disk has room. Below DATA_DIR_MIN_FREE the status is WARNING (still HTTP 200: Corral works, an admin should
 * act); unwritable or full is DOWN.
 */
@Component
class DataDirectoryHealthIndicator implements HealthIndicator {

    static final Status WARNING = new Status("WARNING", "Free space is below DATA_DIR_MIN_FREE");

    private final Path directory;
    private final long minFreeBytes;

    @Autowired
    DataDirectoryHealthIndicator(CorralProperties properties) {
        this(properties.dataDir(), properties.health().dataDirMinFree().toBytes());
    }

    DataDirectoryHealthIndicator(Path directory, long minFreeBytes) {
        this.directory = directory.toAbsolutePath().normalize();
        this.minFreeBytes = minFreeBytes;
    }

    @Override
    public Health health() {
        Health.Builder health = new Health.Builder().withDetail("path", directory.toString())
                .withDetail("minFreeBytes", minFreeBytes);
        try {
            Files.createDirectories(directory);
            Path probe = Files.createTempFile(directory, ".health-", ".tmp");
            Files.delete(probe);
        } catch (IOException | UnsupportedOperationException e) {
            return health.down().withDetail("writable", false)
                    .withDetail("error", "Cannot write to the data directory: " + e).build();
        }
        health.withDetail("writable", true);
        long freeBytes;
        try {
            freeBytes = Files.getFileStore(directory).getUsableSpace();
        } catch (IOException e) {
            return health.unknown().withDetail("error", "Cannot read the free space: " + e).build();
        }
        health.withDetail("freeBytes", freeBytes);
        if (freeBytes == 0) {
            return health.down().withDetail("error", "The disk is full.").build();
        }
        return (freeBytes < minFreeBytes ? health.status(WARNING) : health.up()).build();
    }
}
