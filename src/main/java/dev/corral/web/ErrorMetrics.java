package dev.corral.web;

import java.util.EnumMap;
import java.util.Map;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The {@code corral.errors} counter, one series per error code, for every JSON error Corral answers. All codes are
 * registered up front so that a rate is defined (0) before the first error of a kind.
 */
final class ErrorMetrics {

    private final Map<ErrorCode, Counter> counters = new EnumMap<>(ErrorCode.class);

    ErrorMetrics(MeterRegistry registry) {
        for (ErrorCode code : ErrorCode.values()) {
            counters.put(code, Counter.builder("corral.errors")
                    .description("JSON error responses, by error code")
                    .tag("code", code.code())
                    .register(registry));
        }
    }

    void count(ErrorCode code) {
        counters.get(code).increment();
    }
}
