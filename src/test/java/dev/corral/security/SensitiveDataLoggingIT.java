package dev.corral.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.SeparateCorral;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * At the default log level, neither the console nor the LOG_DIR files carry a password, a session id, a CSRF token
 * or what users write, even when a request fails on exactly that content.
 */
@ExtendWith(OutputCaptureExtension.class)
class SensitiveDataLoggingIT {

    @TempDir
    Path dataDir;
    @TempDir
    Path logDir;

    @Test
    void secretsAndMessagesStayOutOfTheLogs(CapturedOutput console) throws Exception {
        String marker = "secret-marker-" + UUID.randomUUID();
        String password = "pw-" + UUID.randomUUID();
        try (SeparateCorral corral = SeparateCorral.start(dataDir, "--corral.logging.dir=" + logDir)) {
            ApiClient admin = corral.admin();
            String name = "u" + UUID.randomUUID().toString().substring(0, 8);
            assertThat(admin.post("/api/admin/users", Map.of("username", name, "password", password)).status())
                    .isEqualTo(201);
            // A failed sign-in with a password that looks like the real one, and one of the wrong type.
            ApiClient wrong = corral.anonymous();
            assertThat(wrong.signIn(name, password + "-wrong").status()).isEqualTo(401);
            wrong.postRaw("/api/auth/login", "{\"username\":\"" + name + "\",\"password\":{\"p\":\"" + password + "\"}}",
                    "application/json");

            ApiClient user = corral.anonymous();
            assertThat(user.signIn(name, password).status()).isEqualTo(200);
            String conversation = user.post("/api/conversations", Map.of("model", "llama3.2:latest",
                    "title", marker + "-title", "systemPrompt", marker + "-prompt")).body().path("id").asString();
            List<ApiClient.Event> events = user.chat(conversation, "Hello " + marker);
            assertThat(events.getLast().name()).isEqualTo("done");
            // Requests that fail on the content itself.
            user.postRaw("/api/conversations/" + conversation + "/messages",
                    "{\"content\":[\"" + marker + "-array\"]}", "application/json");
            user.post("/api/conversations/" + conversation + "/messages", Map.of("content", marker + "x".repeat(5000)));
            admin.post("/api/admin/users", Map.of("username", "x" + name, "password", password, "role", marker));
            user.patch("/api/conversations/" + conversation, Map.of("model", marker + " not a model"));

            String session = user.cookie("CORRAL_SESSION");
            String xsrf = user.cookie("XSRF-TOKEN");
            assertThat(session).isNotBlank();
            assertThat(xsrf).isNotBlank();
            String adminSession = admin.cookie("CORRAL_SESSION");

            // The last request's access line is written: everything before it is in the files too.
            String lastId = user.get("/api/me").header("X-Request-Id");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!allLogs(console).contains(lastId) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            String logs = allLogs(console);
            assertThat(logs).contains(lastId).contains("/api/conversations/{conversationId}/messages");
            assertThat(logs).doesNotContain(password).doesNotContain(marker)
                    .doesNotContain(session).doesNotContain(adminSession).doesNotContain(xsrf)
                    .doesNotContain(dev.corral.testsupport.IntegrationTest.ADMIN_PASSWORD);
        }
    }

    private String allLogs(CapturedOutput console) throws IOException {
        StringBuilder all = new StringBuilder(console.getAll());
        try (Stream<Path> files = Files.list(logDir)) {
            for (Path file : files.toList()) {
                all.append(Files.readString(file));
            }
        }
        return all.toString();
    }

}
