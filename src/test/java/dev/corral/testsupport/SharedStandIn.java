package dev.corral.testsupport;

/** One stand-in Ollama for the whole test JVM, so that every test class can share one running Corral. */
public final class SharedStandIn {

    private static final StandInOllama INSTANCE = new StandInOllama();

    private SharedStandIn() {
    }

    public static StandInOllama get() {
        return INSTANCE;
    }
}
