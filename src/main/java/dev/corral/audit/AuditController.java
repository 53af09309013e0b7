package dev.corral.audit;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;

import jakarta.servlet.http.HttpServletResponse;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import dev.corral.web.ApiException;

/**
 * Browsing and exporting the audit log; the security configuration limits /api/admin/** to admins. Filters:
 * {@code action} (a code), {@code outcome} (success|failure), {@code actor} (username as recorded, or user id),
 * {@code from}/{@code to} (ISO instants or dates; {@code to} is exclusive, a date means the end of that day, UTC).
 */
@RestController
@RequestMapping("/api/admin/audit")
class AuditController {

    record Page(List<AuditEntry> items, String nextCursor) {
    }

    private static final Instant EARLIEST = Instant.EPOCH;
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    private final AuditBrowser browser;

    AuditController(AuditBrowser browser) {
        this.browser = browser;
    }

    @GetMapping
    Page list(@RequestParam(required = false) String action, @RequestParam(required = false) String outcome,
              @RequestParam(required = false) String actor, @RequestParam(required = false) String from,
              @RequestParam(required = false) String to, @RequestParam(required = false) String cursor,
              @RequestParam(defaultValue = "50") int limit) {
        AuditQuery query = query(action, outcome, actor, from, to, cursor);
        if (limit < 1 || limit > AuditBrowser.MAX_PAGE) {
            throw ApiException.invalid("limit", "must be between 1 and " + AuditBrowser.MAX_PAGE);
        }
        AuditBrowser.Page page = browser.page(query, limit);
        return new Page(page.items(), page.nextCursor());
    }

    /** The same filters as the list, every matching entry (up to MAX_EXPORT), newest first, as CSV. */
    @GetMapping("/export")
    void export(@RequestParam(required = false) String action, @RequestParam(required = false) String outcome,
                @RequestParam(required = false) String actor, @RequestParam(required = false) String from,
                @RequestParam(required = false) String to, HttpServletResponse response) throws IOException {
        AuditQuery query = query(action, outcome, actor, from, to, null);
        response.setContentType("text/csv;charset=UTF-8");
        response.setHeader("Content-Disposition", "attachment; filename=\"corral-audit-"
                + LocalDate.now(ZoneOffset.UTC) + ".csv\"");
        response.setHeader("Cache-Control", "no-store");
        Writer out = new OutputStreamWriter(response.getOutputStream(), StandardCharsets.UTF_8);
        browser.exportCsv(query, out);
        out.flush();
    }

    private static AuditQuery query(String action, String outcome, String actor, String from, String to,
                                    String cursor) {
        AuditAction parsedAction = null;
        if (action != null && !action.isBlank()) {
            parsedAction = AuditAction.fromCode(action.strip());
            if (parsedAction == null) {
                throw ApiException.invalid("action", "is not an audit action");
            }
        }
        String parsedOutcome = blankToNull(outcome);
        if (parsedOutcome != null && !parsedOutcome.equals("success") && !parsedOutcome.equals("failure")) {
            throw ApiException.invalid("outcome", "must be success or failure");
        }
        String parsedActor = blankToNull(actor);
        if (parsedActor != null && (parsedActor.length() > 64 || parsedActor.chars().anyMatch(Character::isISOControl))) {
            throw ApiException.invalid("actor", "must be at most 64 characters, without control characters");
        }
        Instant fromInstant = instant("from", from, false);
        Instant toInstant = instant("to", to, true);
        if (fromInstant != null && toInstant != null && !fromInstant.isBefore(toInstant)) {
            throw ApiException.invalid("to", "must be after from");
        }
        AuditBrowser.Cursor after = AuditBrowser.Cursor.parse(cursor);
        return new AuditQuery(parsedAction, parsedOutcome, parsedActor, fromInstant, toInstant,
                after == null ? null : after.at(), after == null ? null : after.id());
    }

    private static Instant instant(String field, String value, boolean endOfDay) {
        String text = blankToNull(value);
        if (text == null) {
            return null;
        }
        try {
            Instant instant;
            if (text.length() == 10) {
                LocalDate date = LocalDate.parse(text);
                instant = (endOfDay ? date.plusDays(1) : date).atStartOfDay(ZoneOffset.UTC).toInstant();
            } else {
                instant = Instant.parse(text);
            }
            // Stored times are epoch milliseconds: far-off years would overflow them.
            if (instant.isBefore(EARLIEST) || instant.isAfter(LATEST)) {
                throw ApiException.invalid(field, "must be between 1970 and 9999");
            }
            return instant;
        } catch (DateTimeParseException e) {
            throw ApiException.invalid(field, "must be a date (2026-01-31) or an ISO instant (2026-01-31T12:00:00Z)");
        }
    }

    private static String blankToNull(String text) {
        return text == null || text.isBlank() ? null : text.strip();
    }
}
