package dev.corral.ops;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import static org.assertj.core.api.Assertions.assertThat;

class DataDirectoryHealthIndicatorTest {

    @TempDir
    Path dir;

    @Test
    void writableWithRoomIsUpAndLeavesNothingBehind() throws Exception {
        Health health = new DataDirectoryHealthIndicator(dir, 1).health();
        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails()).containsEntry("writable", true).containsKey("freeBytes");
        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void lessFreeSpaceThanTheMinimumIsAWarning() {
        Health health = new DataDirectoryHealthIndicator(dir, Long.MAX_VALUE).health();
        assertThat(health.getStatus()).isEqualTo(DataDirectoryHealthIndicator.WARNING);
    }

    @Test
    void aDirectoryThatCannotBeWrittenIsDown() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        Health health = new DataDirectoryHealthIndicator(notADirectory, 1).health();
        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat(health.getDetails()).containsEntry("writable", false).containsKey("error");
    }

    @Test
    void aMissingDirectoryIsCreated() {
        Health health = new DataDirectoryHealthIndicator(dir.resolve("new/data"), 1).health();
        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(dir.resolve("new/data")).isDirectory();
    }
}
