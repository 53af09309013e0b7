package dev.corral.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import dev.corral.CorralApplication;
import dev.corral.backup.BackupService;

/**
 * Backup benchmark: fills a Corral SQLite database to about --size-mb (default 100) with users, conversations and
 * messages of realistic text, then times online backups through Corral's own BackupService (VACUUM INTO + gzip, the
 * code behind POST /api/admin/backups and the schedule) while a writer keeps updating an answer every 20 ms, as a
 * streaming chat does. Target: under 10 s for 100 MB. Not a test: run it with {@code bench/run.sh backup}.
 */
public final class BackupBenchmark {

    private static final String[] WORDS = ("the a to of and in is it you that for on with as this be are can use "
            + "model answer question server database backup restore stream token memory thread request response "
            + "function value error file data system network configuration performance example result because "
            + "should would could however therefore first second then finally also which when where while about "
            + "Java Spring Ollama SQLite PostgreSQL Docker nginx Linux kernel process container volume certificate "
            + "latency throughput cache index query transaction migration schema version release deploy").split(" ");
    private static final String[] CODE = {
            "```java\nfor (int i = 0; i < items.size(); i++) {\n    total += items.get(i).price();\n}\n```",
            "```python\ndef mean(xs):\n    return sum(xs) / len(xs) if xs else 0.0\n```",
            "```sh\ndocker compose up -d && docker compose logs -f corral\n```",
            "```sql\nSELECT id, title FROM conversations WHERE user_id = ? ORDER BY updated_at DESC LIMIT 30;\n```"};

    private BackupBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int sizeMb = 100;
        int runs = 3;
        boolean keep = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--size-mb" -> sizeMb = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--keep" -> keep = true;
                default -> {
                    System.err.println("usage: bench/run.sh backup [--size-mb N] [--runs N] [--keep]");
                    System.exit(2);
                }
            }
        }
        Path dataDir = Files.createTempDirectory("corral-backup-bench-");
        System.out.printf(Locale.ROOT, "Data directory: %s%n", dataDir);
        try (ConfigurableApplicationContext corral = new SpringApplicationBuilder(CorralApplication.class).run(
                "--server.port=0", "--corral.data-dir=" + dataDir, "--corral.backup.enabled=false",
                "--corral.backup.retention-count=0", "--logging.level.root=WARN")) {
            DataSource dataSource = corral.getBean(DataSource.class);
            BackupService backups = corral.getBean(BackupService.class);
            Path db = dataDir.resolve("corral.db");

            long fillStart = System.nanoTime();
            String answerId = fill(dataSource, sizeMb * 1024L * 1024L);
            checkpoint(dataSource);
            System.out.printf(Locale.ROOT, "Filled %s: %.1f MB in %.1f s%n%n", db, mb(Files.size(db)),
                    (System.nanoTime() - fillStart) / 1e9);

            System.out.println("| run | database MB | backup MB | ratio | seconds | writes during backup "
                    + "| slowest write ms |");
            System.out.println("| --- | --- | --- | --- | --- | --- | --- |");
            double worst = 0;
            for (int run = 1; run <= runs; run++) {
                Writer writer = new Writer(dataSource, answerId);
                Thread thread = Thread.ofPlatform().name("bench-writer").start(writer);
                long start = System.nanoTime();
                BackupService.Backup backup = backups.create(BackupService.Reason.MANUAL);
                double seconds = (System.nanoTime() - start) / 1e9;
                writer.stop.set(true);
                thread.join();
                worst = Math.max(worst, seconds);
                System.out.printf(Locale.ROOT, "| %d | %.1f | %.1f | %.2f | %.2f | %d | %.0f |%n", run,
                        mb(Files.size(db)), mb(backup.sizeBytes()), (double) backup.sizeBytes() / Files.size(db),
                        seconds, writer.writes.get(), writer.slowestNanos.get() / 1e6);
                if (writer.failure != null) {
                    System.out.println("writer failed: " + writer.failure);
                }
            }
            System.out.printf(Locale.ROOT, "%nSlowest backup: %.2f s (target: under 10 s for 100 MB) -> %s%n", worst,
                    worst < 10 ? "OK" : "TOO SLOW");
        } finally {
            if (!keep) {
                deleteTree(dataDir);
            }
        }
        System.exit(0);
    }

    /** Inserts users, conversations and message trees in one transaction until the database reaches the size. */
    private static String fill(DataSource dataSource, long targetBytes) throws SQLException {
        Random random = new Random(42);
        long now = System.currentTimeMillis();
        String lastAnswer = null;
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            List<String> users = new ArrayList<>();
            try (PreparedStatement user = c.prepareStatement("INSERT INTO users (id, username, username_key, "
                    + "password_hash, role, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, 'USER', 1, ?, ?)")) {
                for (int i = 0; i < 50; i++) {
                    String id = UUID.randomUUID().toString();
                    users.add(id);
                    user.setString(1, id);
                    user.setString(2, "user" + i);
                    user.setString(3, "user" + i);
                    user.setString(4, "{bcrypt}$2a$10$" + "x".repeat(53));
                    user.setLong(5, now);
                    user.setLong(6, now);
                    user.addBatch();
                }
                user.executeBatch();
            }
            try (PreparedStatement conversation = c.prepareStatement("INSERT INTO conversations (id, user_id, title, "
                    + "model, current_leaf_id, created_at, updated_at) VALUES (?, ?, ?, 'llama3.2:latest', ?, ?, ?)");
                 PreparedStatement message = c.prepareStatement("INSERT INTO messages (id, conversation_id, "
                         + "parent_id, role, content, status, model, created_at, updated_at) "
                         + "VALUES (?, ?, ?, ?, ?, 'complete', ?, ?, ?)")) {
                long written = 0;
                int conversations = 0;
                while (written < targetBytes) {
                    String conversationId = UUID.randomUUID().toString();
                    int turns = 5 + random.nextInt(20);
                    List<String> ids = new ArrayList<>();
                    for (int t = 0; t < turns * 2; t++) {
                        ids.add(UUID.randomUUID().toString());
                    }
                    conversation.setString(1, conversationId);
                    conversation.setString(2, users.get(random.nextInt(users.size())));
                    conversation.setString(3, sentence(random, 6));
                    conversation.setString(4, ids.getLast());
                    conversation.setLong(5, now);
                    conversation.setLong(6, now);
                    conversation.executeUpdate();
                    for (int t = 0; t < ids.size(); t++) {
                        boolean user = t % 2 == 0;
                        String text = user ? sentence(random, 8 + random.nextInt(40))
                                : answer(random, 400 + random.nextInt(2400));
                        message.setString(1, ids.get(t));
                        message.setString(2, conversationId);
                        message.setString(3, t == 0 ? null : ids.get(t - 1));
                        message.setString(4, user ? "USER" : "ASSISTANT");
                        message.setString(5, text);
                        message.setString(6, user ? null : "llama3.2:latest");
                        message.setLong(7, now);
                        message.setLong(8, now);
                        message.addBatch();
                    }
                    lastAnswer = ids.getLast();
                    if (++conversations % 100 == 0) {
                        message.executeBatch();
                        written = size(c);
                    }
                }
                message.executeBatch();
            }
            c.commit();
        }
        return lastAnswer;
    }

    /** The database's size as this connection sees it, uncommitted pages included. */
    private static long size(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rows = s.executeQuery("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static String answer(Random random, int chars) {
        StringBuilder text = new StringBuilder(chars + 200);
        while (text.length() < chars) {
            if (random.nextInt(6) == 0) {
                text.append(CODE[random.nextInt(CODE.length)]).append("\n\n");
            } else {
                text.append(sentence(random, 10 + random.nextInt(25))).append(random.nextInt(4) == 0 ? "\n\n" : " ");
            }
        }
        return text.toString();
    }

    private static String sentence(Random random, int words) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < words; i++) {
            String word = WORDS[random.nextInt(WORDS.length)];
            s.append(i == 0 ? Character.toUpperCase(word.charAt(0)) + word.substring(1) : word);
            s.append(i == words - 1 ? "." : random.nextInt(12) == 0 ? ", " : " ");
        }
        return s.toString();
    }

    private static void checkpoint(DataSource dataSource) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet ignored = s.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
            // Folds the bulk insert into corral.db so that its size is the database's size.
        }
    }

    /** Updates one answer's text every 20 ms, like a streaming chat's flushes, and records how long each took. */
    private static final class Writer implements Runnable {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong writes = new AtomicLong();
        final AtomicLong slowestNanos = new AtomicLong();
        private final DataSource dataSource;
        private final String messageId;
        volatile Exception failure;

        Writer(DataSource dataSource, String messageId) {
            this.dataSource = dataSource;
            this.messageId = messageId;
        }

        @Override
        public void run() {
            StringBuilder content = new StringBuilder();
            while (!stop.get()) {
                content.append(" token");
                long start = System.nanoTime();
                try (Connection c = dataSource.getConnection();
                     PreparedStatement update = c.prepareStatement(
                             "UPDATE messages SET content = ?, updated_at = ? WHERE id = ?")) {
                    update.setString(1, content.toString());
                    update.setLong(2, System.currentTimeMillis());
                    update.setString(3, messageId);
                    update.executeUpdate();
                } catch (SQLException e) {
                    failure = e;
                    return;
                }
                long took = System.nanoTime() - start;
                slowestNanos.accumulateAndGet(took, Math::max);
                writes.incrementAndGet();
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private static double mb(long bytes) {
        return bytes / 1024.0 / 1024.0;
    }

    private static void deleteTree(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException e) {
            System.err.println("cannot delete " + dir + ": " + e.getMessage());
        }
    }
}
