package dev.corral.audit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

import org.springframework.stereotype.Service;

import dev.corral.web.ApiException;

/** Reads the audit log for admins: pages for the UI, CSV for export. */
@Service
class AuditBrowser {

    static final int MAX_PAGE = 200;
    /** An export is one request; past this many rows narrow the filters (the UI says so). */
    static final int MAX_EXPORT = 100_000;
    private static final int EXPORT_BATCH = 1_000;
    private static final String[] COLUMNS = {"time", "action", "outcome", "actor_id", "actor", "ip", "target_type",
            "target_id", "target", "detail"};

    record Page(List<AuditEntry> items, String nextCursor) {
    }

    record Cursor(Instant at, String id) {
        static Cursor parse(String text) {
            if (text == null || text.isEmpty()) {
                return null;
            }
            try {
                String decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                return new Cursor(Instant.ofEpochMilli(Long.parseLong(decoded.substring(0, colon))),
                        decoded.substring(colon + 1));
            } catch (RuntimeException e) {
                throw ApiException.invalid("cursor", "is not a cursor this server returned");
            }
        }

        static String of(AuditEntry last) {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    (last.at().toEpochMilli() + ":" + last.id()).getBytes(StandardCharsets.UTF_8));
        }
    }

    private final AuditRepository entries;

    AuditBrowser(AuditRepository entries) {
        this.entries = entries;
    }

    Page page(AuditQuery query, int limit) {
        List<AuditEntry> found = entries.find(query, limit + 1);
        if (found.size() <= limit) {
            return new Page(found, null);
        }
        List<AuditEntry> page = found.subList(0, limit);
        return new Page(List.copyOf(page), Cursor.of(page.getLast()));
    }

    /** Writes in batches (keyset pages), so a long log is never held in memory at once. */
    void exportCsv(AuditQuery query, Writer out) {
        try {
            out.write(String.join(",", COLUMNS));
            out.write("\r\n");
            AuditQuery next = query;
            int written = 0;
            while (written < MAX_EXPORT) {
                List<AuditEntry> batch = entries.find(next, Math.min(EXPORT_BATCH, MAX_EXPORT - written));
                for (AuditEntry e : batch) {
                    writeRow(out, e.at().toString(), e.action() == null ? null : e.action().code(), e.outcome(),
                            e.actorId(), e.actorName(), e.ip(), e.targetType(), e.targetId(), e.targetName(),
                            e.detail());
                }
                written += batch.size();
                if (batch.size() < EXPORT_BATCH) {
                    break;
                }
                AuditEntry last = batch.getLast();
                next = new AuditQuery(query.action(), query.outcome(), query.actor(), query.from(), query.to(),
                        last.at(), last.id());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeRow(Writer out, String... cells) throws IOException {
        for (int i = 0; i < cells.length; i++) {
            if (i > 0) {
                out.write(',');
            }
            out.write(csvCell(cells[i]));
        }
        out.write("\r\n");
    }

    /**
     * Every cell quoted (RFC 4180), so that no separator a spreadsheet might use (',' or ';') splits it, and a leading
     * quote mark before =, +, -, @, tab or CR so that a spreadsheet never runs a formula smuggled in through a
     * username, key name or detail.
     */
    static String csvCell(String value) {
        if (value == null) {
            return "";
        }
        String text = value;
        if (!text.isEmpty() && "=+-@\t\r".indexOf(text.charAt(0)) >= 0) {
            text = "'" + text;
        }
        return '"' + text.replace("\"", "\"\"") + '"';
    }
}
