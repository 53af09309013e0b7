package dev.corral.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.context.logging.LoggingApplicationListener;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Corral's command-line tools, run instead of the server when the first argument names one:
 * <pre>
 *   java -jar corral.jar db status           applied and pending migrations
 *   java -jar corral.jar db migrate          back up (SQLite), then apply pending migrations
 *   java -jar corral.jar restore FILE        verify a backup and restore it (Corral must be stopped)
 * </pre>
 * Settings come from the same places as for the server (environment, .env, {@code --name=value} arguments).
 * Exit codes: 0 done, 1 failed or refused, 2 wrong usage. {@link #run} never calls System.exit, so tests can run it
 * in-process.
 */
public final class Commands {

    static final String USAGE = """
            Usage: java -jar corral.jar <command> [--setting=value ...]
              db status         show applied and pending database migrations
              db migrate        back up the database (SQLite), then apply pending migrations
              restore <file>    verify a backup (corral-….db.gz) and restore it; stop Corral first
            Settings are read as for the server: environment variables, ./.env, or --corral.data-dir=… arguments.""";

    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE_ERROR = 2;

    private Commands() {
    }

    /** True when the arguments name a command rather than settings for the server. */
    public static boolean isCommand(String[] args) {
        List<String> words = words(args);
        return !words.isEmpty() && (words.getFirst().equals("db") || words.getFirst().equals("restore"));
    }

    /** For {@code main}: quiet logging (the commands print what matters), run, exit with the command's code. */
    public static void main(String[] args) {
        LoggingSystem.get(Commands.class.getClassLoader()).setLogLevel(LoggingSystem.ROOT_LOGGER_NAME, LogLevel.WARN);
        System.exit(run(args, System.out, System.err));
    }

    /** Runs a command; returns its exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> words = words(args);
        Command command = null;
        if (words.equals(List.of("db", "status"))) {
            command = new DbCommands.Status();
        } else if (words.equals(List.of("db", "migrate"))) {
            command = new DbCommands.Migrate();
        } else if (words.size() == 2 && words.getFirst().equals("restore")) {
            command = new RestoreCommand(words.get(1));
        }
        if (command == null) {
            err.println(USAGE);
            return USAGE_ERROR;
        }
        ConfigurableApplicationContext context;
        try {
            context = context(args);
        } catch (RuntimeException e) {
            err.println("Cannot read Corral's settings or open its database: " + rootMessage(e));
            return FAILED;
        }
        try (context) {
            return command.run(context, out, err);
        } catch (RuntimeException e) {
            err.println("Failed: " + rootMessage(e));
            return FAILED;
        }
    }

    /** One command; gets a lazily initialized context, so the database is only opened when a command asks for it. */
    interface Command {
        int run(ConfigurableApplicationContext context, PrintStream out, PrintStream err);
    }

    private static ConfigurableApplicationContext context(String[] args) {
        SpringApplication app = new SpringApplication(CommandContext.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        app.setBannerMode(Banner.Mode.OFF);
        app.setLogStartupInfo(false);
        app.setRegisterShutdownHook(false);
        app.setLazyInitialization(true);
        // Leave the logging system as it is: the command prints its own output, and when run inside another
        // application (tests) it must not reconfigure that application's logging.
        app.setListeners(app.getListeners().stream().filter(l -> !(l instanceof LoggingApplicationListener)).toList());
        return app.run(args);
    }

    private static List<String> words(String[] args) {
        return Arrays.stream(args).filter(a -> !a.startsWith("--")).toList();
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
