package dev.corral;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

import dev.corral.cli.Commands;

@SpringBootApplication
@ConfigurationPropertiesScan
public class CorralApplication {

    public static void main(String[] args) {
        // `db status`, `db migrate`, `restore FILE`: a command-line tool, not the server.
        if (Commands.isCommand(args)) {
            Commands.main(args);
            return;
        }
        exitZeroOnSigterm();
        SpringApplication.run(CorralApplication.class, args);
    }

    /**
     * The JVM exits with 143 after SIGTERM even when everything shut down cleanly. SIGTERM is how systemd, Docker and
     * Kubernetes ask Corral to stop, and its orderly shutdown (running answers finish or are stored, see
     * GenerationService) is a success: exit 0. System.exit runs the same shutdown hooks as the default handler.
     */
    @SuppressWarnings("removal")
    private static void exitZeroOnSigterm() {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> System.exit(0));
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // No SIGTERM on this platform: keep the JVM's default.
        }
    }
}
