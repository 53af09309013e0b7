package dev.corral.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.corral.web.ErrorCode;

import static org.assertj.core.api.Assertions.assertThat;

/** docs/errors.md (and docs/API.md's table) list exactly the codes of ErrorCode, with the statuses they carry. */
class ErrorCatalogueTest {

    /** A table row: | `code` | status | ... */
    private static final Pattern ROW = Pattern.compile("^\\|\\s*`([a-z_]+)`\\s*\\|\\s*(\\d{3})\\s*\\|", Pattern.MULTILINE);

    private static Map<String, Integer> documented(String file) throws IOException {
        Matcher row = ROW.matcher(Files.readString(Path.of(file)));
        Map<String, Integer> codes = new LinkedHashMap<>();
        while (row.find()) {
            Integer previous = codes.put(row.group(1), Integer.parseInt(row.group(2)));
            assertThat(previous).as(file + " lists " + row.group(1) + " twice").isNull();
        }
        return codes;
    }

    private static Map<String, Integer> inTheCode() {
        return Arrays.stream(ErrorCode.values())
                .collect(Collectors.toMap(ErrorCode::code, c -> c.status().value(), (a, b) -> a, LinkedHashMap::new));
    }

    @Test
    void theCatalogueListsEveryCodeWithItsStatus() throws IOException {
        assertThat(documented("docs/errors.md")).containsExactlyInAnyOrderEntriesOf(inTheCode());
    }

    @Test
    void theApiReferenceAgrees() throws IOException {
        assertThat(documented("docs/API.md")).containsExactlyInAnyOrderEntriesOf(inTheCode());
    }
}
