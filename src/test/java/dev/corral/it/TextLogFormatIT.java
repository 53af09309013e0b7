package dev.corral.it;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import dev.corral.testsupport.SeparateCorral;

import static org.assertj.core.api.Assertions.assertThat;

/** LOG_FORMAT=text: readable console lines for development, still with the request id. */
@ExtendWith(OutputCaptureExtension.class)
class TextLogFormatIT {

    @TempDir
    Path dataDir;

    @Test
    void consoleLinesAreTextWithTheRequestId(CapturedOutput console) throws Exception {
        try (SeparateCorral corral = SeparateCorral.start(dataDir, "--corral.logging.format=text")) {
            String requestId = corral.anonymous().get("/api/setup").header("X-Request-Id");
            long deadline = System.nanoTime() + 10_000_000_000L;
            String line;
            while ((line = console.getOut().lines().filter(l -> l.contains(requestId)).findFirst().orElse(null)) == null) {
                assertThat(System.nanoTime()).as("access line on the console").isLessThan(deadline);
                Thread.sleep(20);
            }
            assertThat(line).doesNotStartWith("{").contains("[" + requestId + " -]").contains("corral.access")
                    .contains("GET /api/setup 200");
        }
    }
}
