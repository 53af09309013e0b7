package dev.corral.testsupport;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON decoder that reports errors with the texts of Go's {@code encoding/json} (as used by Gin's
 * {@code ShouldBindJSON}, i.e. a {@code json.Decoder} reading only the first value), plus the ChatRequest type
 * checks Ollama's server performs while decoding. JDK only.
 *
 * <p>Values: objects are {@code LinkedHashMap<String,Object>}, arrays {@code ArrayList<Object>}, strings
 * {@code String}, integers {@code Long}, other numbers {@code Double}, booleans {@code Boolean}, JSON null
 * {@code null}.
 */
final class GoJson {

    /** A syntax error, message as Go prints it. */
    static final class SyntaxException extends Exception {
        SyntaxException(String message) {
            super(message, null, false, false);
        }
    }

    /** Returned by {@link #decode} when the input is empty or only whitespace (Go: {@code io.EOF}). */
    static final Object EMPTY = new Object();

    private final byte[] s;
    private int i;

    private GoJson(byte[] s) {
        this.s = s;
    }

    /** Decodes the first JSON value of {@code input} (trailing data is ignored, like {@code json.Decoder}). */
    static Object decode(byte[] input) throws SyntaxException {
        GoJson p = new GoJson(input);
        p.skipWs();
        if (p.i >= input.length) {
            return EMPTY;
        }
        return p.value();
    }

    private void skipWs() {
        while (i < s.length) {
            byte c = s[i];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                i++;
            } else {
                return;
            }
        }
    }

    private static SyntaxException eof() {
        return new SyntaxException("unexpected EOF");
    }

    private static SyntaxException invalid(int c, String context) {
        return new SyntaxException("invalid character " + quoteChar(c) + " " + context);
    }

    /** Go's {@code quoteChar}: a byte shown as a Go-quoted rune in single quotes. */
    static String quoteChar(int c) {
        if (c == '\'') {
            return "'\\''";
        }
        if (c == '"') {
            return "'\"'";
        }
        String inner;
        switch (c) {
            case 7 -> inner = "\\a";
            case '\b' -> inner = "\\b";
            case '\f' -> inner = "\\f";
            case '\n' -> inner = "\\n";
            case '\r' -> inner = "\\r";
            case '\t' -> inner = "\\t";
            case 11 -> inner = "\\v";
            case '\\' -> inner = "\\\\";
            default -> {
                if (c < 0x20 || c == 0x7f) {
                    inner = String.format("\\x%02x", c);
                } else if ((c >= 0x80 && c <= 0xa0) || c == 0xad) {
                    inner = String.format("\\u%04x", c);
                } else {
                    inner = String.valueOf((char) c);
                }
            }
        }
        return "'" + inner + "'";
    }

    private int peekOrEof() throws SyntaxException {
        if (i >= s.length) {
            throw eof();
        }
        return s[i] & 0xff;
    }

    private Object value() throws SyntaxException {
        int c = peekOrEof();
        return switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw invalid(c, "looking for beginning of value");
            }
        };
    }

    private Map<String, Object> object() throws SyntaxException {
        Map<String, Object> map = new LinkedHashMap<>();
        i++; // {
        skipWs();
        int c = peekOrEof();
        if (c == '}') {
            i++;
            return map;
        }
        while (true) {
            c = peekOrEof();
            if (c != '"') {
                throw invalid(c, "looking for beginning of object key string");
            }
            String key = string();
            skipWs();
            c = peekOrEof();
            if (c != ':') {
                throw invalid(c, "after object key");
            }
            i++;
            skipWs();
            Object v = value();
            map.put(key, v);
            skipWs();
            c = peekOrEof();
            if (c == ',') {
                i++;
                skipWs();
            } else if (c == '}') {
                i++;
                return map;
            } else {
                throw invalid(c, "after object key:value pair");
            }
        }
    }

    private List<Object> array() throws SyntaxException {
        List<Object> list = new ArrayList<>();
        i++; // [
        skipWs();
        int c = peekOrEof();
        if (c == ']') {
            i++;
            return list;
        }
        while (true) {
            list.add(value());
            skipWs();
            c = peekOrEof();
            if (c == ',') {
                i++;
                skipWs();
            } else if (c == ']') {
                i++;
                return list;
            } else {
                throw invalid(c, "after array element");
            }
        }
    }

    private Object literal(String word, Object result) throws SyntaxException {
        i++; // first letter already checked
        for (int k = 1; k < word.length(); k++) {
            int c = peekOrEof();
            if (c != word.charAt(k)) {
                throw invalid(c, "in literal " + word + " (expecting " + quoteChar(word.charAt(k)) + ")");
            }
            i++;
        }
        return result;
    }

    private Object number() throws SyntaxException {
        int start = i;
        boolean integral = true;
        int c = s[i] & 0xff;
        if (c == '-') {
            i++;
            c = peekOrEof();
            if (c < '0' || c > '9') {
                throw invalid(c, "in numeric literal");
            }
        }
        if (c == '0') {
            i++;
        } else {
            while (i < s.length && s[i] >= '0' && s[i] <= '9') {
                i++;
            }
        }
        if (i < s.length && s[i] == '.') {
            integral = false;
            i++;
            c = peekOrEof();
            if (c < '0' || c > '9') {
                throw invalid(c, "after decimal point in numeric literal");
            }
            while (i < s.length && s[i] >= '0' && s[i] <= '9') {
                i++;
            }
        }
        if (i < s.length && (s[i] == 'e' || s[i] == 'E')) {
            integral = false;
            i++;
            c = peekOrEof();
            if (c == '+' || c == '-') {
                i++;
                c = peekOrEof();
            }
            if (c < '0' || c > '9') {
                throw invalid(c, "in exponent of numeric literal");
            }
            while (i < s.length && s[i] >= '0' && s[i] <= '9') {
                i++;
            }
        }
        String text = new String(s, start, i - start, StandardCharsets.US_ASCII);
        if (integral) {
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                // too big for a long: fall through
            }
        }
        return Double.parseDouble(text);
    }

    private String string() throws SyntaxException {
        i++; // opening quote
        StringBuilder sb = null;
        int segment = i;
        while (true) {
            int c = peekOrEof();
            if (c == '"') {
                String tail = new String(s, segment, i - segment, StandardCharsets.UTF_8);
                i++;
                return sb == null ? tail : sb.append(tail).toString();
            }
            if (c < 0x20) {
                throw invalid(c, "in string literal");
            }
            if (c != '\\') {
                i++;
                continue;
            }
            if (sb == null) {
                sb = new StringBuilder();
            }
            sb.append(new String(s, segment, i - segment, StandardCharsets.UTF_8));
            i++; // backslash
            c = peekOrEof();
            i++;
            switch (c) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    int cp = hex4();
                    if (Character.isHighSurrogate((char) cp)
                            && i + 1 < s.length && s[i] == '\\' && s[i + 1] == 'u') {
                        int save = i;
                        i += 2;
                        int lo = hex4();
                        if (Character.isLowSurrogate((char) lo)) {
                            sb.append((char) cp).append((char) lo);
                        } else {
                            sb.append('\ufffd');
                            i = save; // reprocess the second escape on its own
                        }
                    } else if (Character.isSurrogate((char) cp)) {
                        sb.append('\ufffd');
                    } else {
                        sb.append((char) cp);
                    }
                }
                default -> throw invalid(c, "in string escape code");
            }
            segment = i;
        }
    }

    private int hex4() throws SyntaxException {
        int v = 0;
        for (int k = 0; k < 4; k++) {
            int c = peekOrEof();
            int d = Character.digit(c, 16);
            if (d < 0 || c > 'f') {
                throw invalid(c, "in \\u hexadecimal character escape");
            }
            v = v * 16 + d;
            i++;
        }
        return v;
    }

    // ------------------------------------------------------------------------------------------------------
    // Go type-error texts

    /** The {@code Value} word of Go's {@code UnmarshalTypeError} for a decoded JSON value. */
    static String kind(Object v) {
        if (v instanceof String) {
            return "string";
        }
        if (v instanceof Number) {
            return "number";
        }
        if (v instanceof Boolean) {
            return "bool";
        }
        if (v instanceof List) {
            return "array";
        }
        return "object";
    }

    static String typeError(Object v, String struct, String field, String goType) {
        return "json: cannot unmarshal " + kind(v) + " into Go struct field " + struct + "." + field
                + " of type " + goType;
    }

    /** Looks a Go struct field up the way encoding/json does: exact name first, then case-insensitive. */
    static String fieldName(String key, List<String> fields) {
        if (fields.contains(key)) {
            return key;
        }
        for (String f : fields) {
            if (f.equalsIgnoreCase(key)) {
                return f;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------------
    // Go's time.ParseDuration (for keep_alive)

    /** Parses a Go duration string; returns nanoseconds (as double) or throws with Go's error text. */
    static double parseGoDuration(String orig) throws SyntaxException {
        String str = orig;
        boolean neg = false;
        if (!str.isEmpty()) {
            char c = str.charAt(0);
            if (c == '-' || c == '+') {
                neg = c == '-';
                str = str.substring(1);
            }
        }
        if (str.equals("0")) {
            return 0;
        }
        if (str.isEmpty()) {
            throw new SyntaxException("time: invalid duration " + goQuote(orig));
        }
        double total = 0;
        int p = 0;
        while (p < str.length()) {
            char c = str.charAt(p);
            if (!(c == '.' || (c >= '0' && c <= '9'))) {
                throw new SyntaxException("time: invalid duration " + goQuote(orig));
            }
            int start = p;
            while (p < str.length() && Character.isDigit(str.charAt(p)) && str.charAt(p) < 128) {
                p++;
            }
            boolean pre = p != start;
            boolean post = false;
            if (p < str.length() && str.charAt(p) == '.') {
                p++;
                int fs = p;
                while (p < str.length() && str.charAt(p) >= '0' && str.charAt(p) <= '9') {
                    p++;
                }
                post = p != fs;
            }
            if (!pre && !post) {
                throw new SyntaxException("time: invalid duration " + goQuote(orig));
            }
            double number = Double.parseDouble(str.substring(start, p).equals(".") ? "0" : str.substring(start, p));
            int us = p;
            while (p < str.length() && !(str.charAt(p) == '.' || (str.charAt(p) >= '0' && str.charAt(p) <= '9'))) {
                p++;
            }
            if (us == p) {
                throw new SyntaxException("time: missing unit in duration " + goQuote(orig));
            }
            String unit = str.substring(us, p);
            double scale = switch (unit) {
                case "ns" -> 1;
                case "us", "\u00b5s", "\u03bcs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                case "h" -> 3600e9;
                default -> throw new SyntaxException(
                        "time: unknown unit " + goQuote(unit) + " in duration " + goQuote(orig));
            };
            total += number * scale;
        }
        return neg ? -total : total;
    }

    /** The time package's {@code quote}: double quotes, backslash escapes for quote and backslash. */
    private static String goQuote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 0x80 || c < ' ') {
                sb.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            } else {
                if (c == '"' || c == '\\') {
                    sb.append('\\');
                }
                sb.append((char) c);
            }
        }
        return sb.append('"').toString();
    }
}
