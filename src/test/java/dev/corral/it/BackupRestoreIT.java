package dev.corral.it;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

import tools.jackson.databind.JsonNode;

import dev.corral.testsupport.ApiClient;
import dev.corral.testsupport.InProcessCorral;
import dev.corral.testsupport.InProcessCorral.CommandResult;
import dev.corral.testsupport.IntegrationTest;

import static org.assertj.core.api.Assertions.assertThat;

/** Online backups while Corral serves, /backup/status, and restoring with {@code java -jar corral.jar restore}. */
class BackupRestoreIT extends IntegrationTest {

    private static final String LONG_REPLY = String.join(" ", java.util.Collections.nCopies(300,
            "Backups are taken while answers stream."));

    @TempDir
    Path temp;

    @Test
    void aBackupTakenDuringARunningChatRestoresIntoAFreshDataDirectoryWithEveryMessage() throws Exception {
        String username = "b" + UUID.randomUUID().toString().substring(0, 8);
        ApiClient admin = admin();
        assertThat(admin.post("/api/admin/users", Map.of("username", username, "password", PASSWORD)).status())
                .isEqualTo(201);
        ApiClient user = anonymous();
        assertThat(user.signIn(username, PASSWORD).status()).isEqualTo(200);
        String conversation = createConversation(user);
        OLLAMA.setReply("The first answer, complete.");
        user.chat(conversation, "First question?");

        OLLAMA.setReply(LONG_REPLY);
        OLLAMA.setTokenDelay(Duration.ofMillis(30));
        String backupName;
        String assistantId;
        try (ApiClient.EventStream stream = user.stream("/api/conversations/" + conversation + "/messages",
                Map.of("content", "Second question, answered during the backup?"))) {
            assistantId = stream.until("start", Duration.ofSeconds(10)).data().path("assistantMessage").path("id")
                    .asString();
            // Part of the answer is in the database (it is written every CHAT_FLUSH_INTERVAL while it streams).
            await("part of the answer stored", Duration.ofSeconds(30),
                    () -> !storedAnswer(user, conversation, assistantId).path("content").asString().isEmpty());

            ApiClient.Response created = admin.post("/api/admin/backups", null);
            assertThat(created.status()).as(created.raw()).isEqualTo(201);
            assertThat(created.body().path("reason").asString()).isEqualTo("manual");
            assertThat(created.body().path("sizeBytes").asLong()).isPositive();
            backupName = created.body().path("name").asString();
            assertThat(backupName).matches("corral-\\d{8}-\\d{6}-manual(-\\d+)?\\.db\\.gz");

            // The chat kept streaming through the backup.
            assertThat(stream.until("delta", Duration.ofSeconds(10))).isNotNull();
            assertThat(storedAnswer(user, conversation, assistantId).path("status").asString()).isEqualTo("streaming");
            user.post("/api/conversations/" + conversation + "/messages/" + assistantId + "/stop", null);
        }

        JsonNode status = admin.get("/backup/status").body();
        assertThat(status.path("supported").asBoolean()).isTrue();
        JsonNode listed = find(status.path("backups"), backupName);
        assertThat(listed.path("sizeBytes").asLong()).isPositive();
        assertThat(listed.path("reason").asString()).isEqualTo("manual");
        assertThat(listed.path("createdAt").asString()).isNotEmpty();
        assertThat(listed.path("ageSeconds").isNumber()).isTrue();
        assertThat(status.path("lastResult").path("result").asString()).isEqualTo("ok");
        assertThat(status.path("lastResult").path("name").asString()).isEqualTo(backupName);
        assertThat(status.path("schedule").path("cron").asString()).isEqualTo("0 0 3 * * *");
        assertThat(status.path("schedule").path("nextRun").asString()).isNotEmpty();
        assertThat(status.path("retention").path("days").asInt()).isEqualTo(30);
        Path backup = Path.of(status.path("directory").asString()).resolve(backupName);
        assertThat(backup).isRegularFile();

        Path fresh = temp.resolve("fresh");
        CommandResult restored = InProcessCorral.command("restore", backup.toString(), "--corral.data-dir=" + fresh);
        assertThat(restored.exitCode()).as(restored.err()).isZero();
        assertThat(restored.out()).contains("Restored " + backup).contains(fresh.resolve("corral.db").toString());

        try (ConfigurableApplicationContext corral = InProcessCorral.start(fresh)) {
            ApiClient sameUser = InProcessCorral.client(corral);
            assertThat(sameUser.signIn(username, PASSWORD).status()).isEqualTo(200);
            JsonNode messages = sameUser.get("/api/conversations/" + conversation).body().path("messages");
            assertThat(messages).hasSize(4);
            assertThat(messages.get(0).path("content").asString()).isEqualTo("First question?");
            assertThat(messages.get(1).path("content").asString()).isEqualTo("The first answer, complete.");
            assertThat(messages.get(1).path("status").asString()).isEqualTo("complete");
            assertThat(messages.get(2).path("content").asString())
                    .isEqualTo("Second question, answered during the backup?");
            // The answer was streaming when the backup was taken: the part stored by then, marked interrupted.
            JsonNode partial = messages.get(3);
            assertThat(partial.path("id").asString()).isEqualTo(assistantId);
            assertThat(partial.path("status").asString()).isEqualTo("interrupted");
            assertThat(partial.path("content").asString()).isNotEmpty();
            assertThat(LONG_REPLY).startsWith(partial.path("content").asString());
        }
    }

    @Test
    void backupsAreForAdminsOnly() {
        ApiClient anonymous = anonymous();
        anonymous.ensureCsrfCookie();
        assertThat(anonymous.get("/backup/status").status()).isEqualTo(401);
        assertThat(anonymous.post("/api/admin/backups", null).errorCode()).isEqualTo("unauthenticated");

        ApiClient user = newUser();
        ApiClient.Response status = user.get("/backup/status");
        assertThat(status.status()).isEqualTo(403);
        assertThat(status.errorCode()).isEqualTo("forbidden");
        assertThat(user.post("/api/admin/backups", null).status()).isEqualTo(403);

        ApiClient.Response withoutCsrf = admin().withoutCsrf().post("/api/admin/backups", null);
        assertThat(withoutCsrf.status()).isEqualTo(403);
        assertThat(withoutCsrf.errorCode()).isEqualTo("csrf_invalid");
    }

    @Test
    void restoreRefusesWhatIsNotAGoodBackupAndChangesNothing() throws Exception {
        Path target = temp.resolve("target");

        Path text = Files.writeString(temp.resolve("notes.txt"), "not a backup");
        CommandResult notGzip = InProcessCorral.command("restore", text.toString(), "--corral.data-dir=" + target);
        assertThat(notGzip.exitCode()).isEqualTo(1);
        assertThat(notGzip.err()).contains("Refused: " + text + " is not a gzip file");

        byte[] noise = new byte[64 * 1024];
        new Random(1).nextBytes(noise);
        Path garbage = gzip(temp.resolve("garbage.db.gz"), noise);
        CommandResult corrupt = InProcessCorral.command("restore", garbage.toString(), "--corral.data-dir=" + target);
        assertThat(corrupt.exitCode()).isEqualTo(1);
        assertThat(corrupt.err()).contains("does not hold a readable SQLite database");

        Path good = Path.of(admin().post("/api/admin/backups", null).body().path("name").asString());
        Path goodFile = Path.of(admin().get("/backup/status").body().path("directory").asString()).resolve(good);
        byte[] whole = Files.readAllBytes(goodFile);
        Path truncated = Files.write(temp.resolve("truncated.db.gz"), java.util.Arrays.copyOf(whole, whole.length / 2));
        CommandResult cut = InProcessCorral.command("restore", truncated.toString(), "--corral.data-dir=" + target);
        assertThat(cut.exitCode()).isEqualTo(1);
        assertThat(cut.err()).contains("is truncated");

        Path otherDb = temp.resolve("other.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + otherDb); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
        }
        Path foreign = gzip(temp.resolve("foreign.db.gz"), Files.readAllBytes(otherDb));
        CommandResult notCorral = InProcessCorral.command("restore", foreign.toString(), "--corral.data-dir=" + target);
        assertThat(notCorral.exitCode()).isEqualTo(1);
        assertThat(notCorral.err()).contains("is not a Corral backup");

        CommandResult missing = InProcessCorral.command("restore", temp.resolve("nope.db.gz").toString(),
                "--corral.data-dir=" + target);
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err()).contains("There is no file");

        // Nothing was written: no database, no copy, no leftover temporary file.
        try (var files = Files.list(target)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsOnly(".corral.lock");
        }
    }

    @Test
    void restoreRefusesWhileCorralRunsOnTheDataDirectory() {
        ApiClient admin = admin();
        String name = admin.post("/api/admin/backups", null).body().path("name").asString();
        Path backups = Path.of(admin.get("/backup/status").body().path("directory").asString());
        Path dataDir = backups.getParent(); // BACKUP_DIR defaults to CORRAL_DATA_DIR/backups

        CommandResult result = InProcessCorral.command("restore", backups.resolve(name).toString(),
                "--corral.data-dir=" + dataDir);
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).contains("Corral is running on " + dataDir).contains("Stop Corral first");
    }

    @Test
    void commandsExplainTheirUsage() {
        for (List<String> args : List.of(List.of("restore"), List.of("db"), List.of("db", "frobnicate"),
                List.of("restore", "a", "b"))) {
            CommandResult result = InProcessCorral.command(args.toArray(String[]::new));
            assertThat(result.exitCode()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(result.err()).contains("Usage: java -jar corral.jar <command>");
        }
    }

    private static JsonNode storedAnswer(ApiClient user, String conversation, String messageId) {
        for (JsonNode m : user.get("/api/conversations/" + conversation).body().path("messages")) {
            if (m.path("id").asString().equals(messageId)) {
                return m;
            }
        }
        throw new AssertionError("no message " + messageId);
    }

    private static JsonNode find(JsonNode backups, String name) {
        for (JsonNode b : backups) {
            if (b.path("name").asString().equals(name)) {
                return b;
            }
        }
        throw new AssertionError(name + " is not listed in " + backups);
    }

    private static Path gzip(Path file, byte[] content) throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(content);
        }
        return file;
    }
}
