package dev.corral.testsupport;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import dev.corral.CorralApplication;

/**
 * A Corral of its own (not the shared test context), on a random port with the stand-in Ollama and an admin
 * account, for settings that must be there from the start, such as how it logs.
 */
public final class SeparateCorral implements AutoCloseable {

    private final ConfigurableApplicationContext context;

    private SeparateCorral(ConfigurableApplicationContext context) {
        this.context = context;
    }

    /** Starts Corral with its data in {@code dataDir}; {@code settings} are extra {@code --name=value} arguments. */
    public static SeparateCorral start(Path dataDir, String... settings) {
        // Spring Boot configures logging once per JVM (the first application started); a real start of Corral is
        // a fresh JVM, so let this one configure logging again from its own settings.
        LoggingSystem.get(SeparateCorral.class.getClassLoader()).cleanUp();
        List<String> args = new ArrayList<>(List.of(
                "--server.port=0",
                "--corral.data-dir=" + dataDir,
                "--corral.ollama.base-url=" + SharedStandIn.get().baseUrl(),
                "--corral.ollama.busy-backoff=50ms",
                "--corral.admin.username=" + IntegrationTest.ADMIN,
                "--corral.admin.password=" + IntegrationTest.ADMIN_PASSWORD));
        args.addAll(List.of(settings));
        // Generous rate limits unless the test sets its own (a repeated argument would become "a,b").
        IntegrationTest.GENEROUS_RATE_LIMITS.forEach((name, value) -> {
            if (args.stream().noneMatch(arg -> arg.startsWith("--" + name + "="))) {
                args.add("--" + name + "=" + value);
            }
        });
        return new SeparateCorral(new SpringApplicationBuilder(CorralApplication.class).run(args.toArray(String[]::new)));
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + ((WebServerApplicationContext) context).getWebServer().getPort();
    }

    public ApiClient anonymous() {
        return new ApiClient(baseUrl());
    }

    public ApiClient admin() {
        ApiClient admin = anonymous();
        ApiClient.Response signedIn = admin.signIn(IntegrationTest.ADMIN, IntegrationTest.ADMIN_PASSWORD);
        if (signedIn.status() != 200) {
            throw new AssertionError("admin sign-in failed: " + signedIn.raw());
        }
        return admin;
    }

    @Override
    public void close() {
        context.close();
    }
}
