package dev.corral.testsupport;

import java.util.Arrays;

/** Reads values out of Prometheus text format, as a scraper would. */
public final class Prometheus {

    private final String text;

    public Prometheus(String text) {
        this.text = text;
    }

    /**
     * The sum of the samples of {@code name} whose labels include every one of {@code labels} (each written as
     * {@code key="value"}); 0 when there is none.
     */
    public double sum(String name, String... labels) {
        return text.lines()
                .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                .filter(line -> Arrays.stream(labels).allMatch(label -> labelsOf(line).contains("," + label + ",")))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }

    /** True when a sample of {@code name} with all of {@code labels} is present (whatever its value). */
    public boolean has(String name, String... labels) {
        return text.lines()
                .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                .anyMatch(line -> Arrays.stream(labels).allMatch(label -> labelsOf(line).contains("," + label + ",")));
    }

    private static String labelsOf(String line) {
        int open = line.indexOf('{');
        int close = line.lastIndexOf('}');
        return open < 0 || close < open ? "" : "," + line.substring(open + 1, close) + ",";
    }

    @Override
    public String toString() {
        return text;
    }
}
