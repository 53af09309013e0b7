package dev.corral.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import dev.corral.CorralApplication;
import dev.corral.cli.Commands;

/** A separate Corral (or command-line tool run) in the test JVM, on a data directory of the test's choosing. */
public final class InProcessCorral {

    public static final String ADMIN = "admin";
    public static final String ADMIN_PASSWORD = "admin-password-1";

    /** What a command printed and returned. */
    public record CommandResult(int exitCode, String out, String err) {
    }

    private InProcessCorral() {
    }

    /** Starts Corral on a random port with an admin account (on a first start) and the shared stand-in Ollama. */
    public static ConfigurableApplicationContext start(Path dataDir, String... extra) {
        List<String> args = new ArrayList<>(List.of("--server.port=0", "--corral.data-dir=" + dataDir,
                "--corral.ollama.base-url=" + SharedStandIn.get().baseUrl(), "--corral.admin.username=" + ADMIN,
                "--corral.admin.password=" + ADMIN_PASSWORD));
        args.addAll(List.of(extra));
        return new SpringApplicationBuilder(CorralApplication.class).run(args.toArray(String[]::new));
    }

    public static ApiClient client(ConfigurableApplicationContext context) {
        int port = ((WebServerApplicationContext) context).getWebServer().getPort();
        return new ApiClient("http://127.0.0.1:" + port);
    }

    public static ApiClient admin(ConfigurableApplicationContext context) {
        ApiClient admin = client(context);
        if (admin.signIn(ADMIN, ADMIN_PASSWORD).status() != 200) {
            throw new AssertionError("cannot sign in as " + ADMIN);
        }
        return admin;
    }

    /** Runs {@code java -jar corral.jar <args>} in this JVM, as Commands.run (no System.exit). */
    public static CommandResult command(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Commands.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new CommandResult(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
