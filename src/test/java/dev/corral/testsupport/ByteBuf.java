package dev.corral.testsupport;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * A growable byte buffer that writes compact JSON the way Go's {@code encoding/json} does (HTML-safe escaping of
 * {@code <}, {@code >}, {@code &}, short escapes for {@code \b \f \n \r \t}, lowercase {@code \\u00xx} for other
 * control characters, U+2028/U+2029) and RFC 3339 timestamps like Go's {@code RFC3339Nano}.
 * Reused per stream so a token line costs no allocation beyond growing once.
 */
final class ByteBuf {

    private static final byte[] HEX = "0123456789abcdef".getBytes();

    byte[] a;
    int n;

    ByteBuf(int capacity) {
        a = new byte[capacity];
    }

    ByteBuf clear() {
        n = 0;
        return this;
    }

    private void ensure(int extra) {
        if (n + extra > a.length) {
            a = Arrays.copyOf(a, Math.max(a.length * 2, n + extra));
        }
    }

    ByteBuf b(int c) {
        ensure(1);
        a[n++] = (byte) c;
        return this;
    }

    ByteBuf bytes(byte[] src) {
        ensure(src.length);
        System.arraycopy(src, 0, a, n, src.length);
        n += src.length;
        return this;
    }

    /** Appends a string whose characters are all ASCII. */
    ByteBuf ascii(String s) {
        int len = s.length();
        ensure(len);
        for (int k = 0; k < len; k++) {
            a[n++] = (byte) s.charAt(k);
        }
        return this;
    }

    ByteBuf num(long v) {
        if (v == Long.MIN_VALUE) {
            return ascii(Long.toString(v));
        }
        if (v < 0) {
            b('-');
            v = -v;
        }
        ensure(20);
        int start = n;
        do {
            a[n++] = (byte) ('0' + (v % 10));
            v /= 10;
        } while (v != 0);
        reverse(start, n - 1);
        return this;
    }

    /** Lowercase hexadecimal, as used for chunk sizes. */
    ByteBuf hex(int v) {
        ensure(8);
        int start = n;
        do {
            a[n++] = HEX[v & 15];
            v >>>= 4;
        } while (v != 0);
        reverse(start, n - 1);
        return this;
    }

    private void reverse(int lo, int hi) {
        while (lo < hi) {
            byte t = a[lo];
            a[lo++] = a[hi];
            a[hi--] = t;
        }
    }

    ByteBuf crlf() {
        ensure(2);
        a[n++] = '\r';
        a[n++] = '\n';
        return this;
    }

    /** Appends {@code s} as a quoted JSON string, escaped like Go's encoder. */
    ByteBuf jsonString(CharSequence s) {
        b('"');
        jsonStringBody(s);
        return b('"');
    }

    /** Appends the escaped contents of a JSON string without the quotes. */
    ByteBuf jsonStringBody(CharSequence s) {
        int len = s.length();
        ensure(len + 8);
        for (int k = 0; k < len; k++) {
            char c = s.charAt(k);
            if (c < 0x80) {
                if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
                    ensure(1);
                    a[n++] = (byte) c;
                    continue;
                }
                switch (c) {
                    case '"' -> b('\\').b('"');
                    case '\\' -> b('\\').b('\\');
                    case '\b' -> b('\\').b('b');
                    case '\f' -> b('\\').b('f');
                    case '\n' -> b('\\').b('n');
                    case '\r' -> b('\\').b('r');
                    case '\t' -> b('\\').b('t');
                    default -> unicodeEscape(c); // other control chars and < > &
                }
            } else if (c < 0x800) {
                ensure(2);
                a[n++] = (byte) (0xc0 | (c >> 6));
                a[n++] = (byte) (0x80 | (c & 0x3f));
            } else if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && k + 1 < len && Character.isLowSurrogate(s.charAt(k + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(++k));
                    ensure(4);
                    a[n++] = (byte) (0xf0 | (cp >> 18));
                    a[n++] = (byte) (0x80 | ((cp >> 12) & 0x3f));
                    a[n++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
                    a[n++] = (byte) (0x80 | (cp & 0x3f));
                } else {
                    ascii("\\ufffd"); // Go replaces invalid UTF-8 this way
                }
            } else if (c == '\u2028' || c == '\u2029') {
                unicodeEscape(c);
            } else {
                ensure(3);
                a[n++] = (byte) (0xe0 | (c >> 12));
                a[n++] = (byte) (0x80 | ((c >> 6) & 0x3f));
                a[n++] = (byte) (0x80 | (c & 0x3f));
            }
        }
        return this;
    }

    private void unicodeEscape(char c) {
        ensure(6);
        a[n++] = '\\';
        a[n++] = 'u';
        a[n++] = HEX[(c >> 12) & 15];
        a[n++] = HEX[(c >> 8) & 15];
        a[n++] = HEX[(c >> 4) & 15];
        a[n++] = HEX[c & 15];
    }

    /**
     * Appends a UTC timestamp as Go's {@code time.RFC3339Nano} prints it: fraction with trailing zeros trimmed
     * (no fraction at all when zero), suffix {@code Z}. No allocation.
     */
    ByteBuf rfc3339Utc(long epochSecond, int nano) {
        long days = Math.floorDiv(epochSecond, 86400);
        int secOfDay = Math.floorMod(epochSecond, 86400);
        // civil_from_days (H. Hinnant)
        long z = days + 719468;
        long era = Math.floorDiv(z, 146097);
        long doe = z - era * 146097;
        long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long y = yoe + era * 400;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        long d = doy - (153 * mp + 2) / 5 + 1;
        long m = mp < 10 ? mp + 3 : mp - 9;
        if (m <= 2) {
            y++;
        }
        ensure(40);
        digits((int) y, 4);
        a[n++] = '-';
        digits((int) m, 2);
        a[n++] = '-';
        digits((int) d, 2);
        a[n++] = 'T';
        digits(secOfDay / 3600, 2);
        a[n++] = ':';
        digits(secOfDay / 60 % 60, 2);
        a[n++] = ':';
        digits(secOfDay % 60, 2);
        if (nano != 0) {
            int digits = 9;
            while (nano % 10 == 0) {
                nano /= 10;
                digits--;
            }
            a[n++] = '.';
            digits(nano, digits);
        }
        a[n++] = 'Z';
        return this;
    }

    private void digits(int v, int width) {
        for (int k = n + width - 1; k >= n; k--) {
            a[k] = (byte) ('0' + v % 10);
            v /= 10;
        }
        n += width;
    }

    void writeTo(OutputStream out) throws IOException {
        out.write(a, 0, n);
    }

    byte[] toArray() {
        return Arrays.copyOf(a, n);
    }

    @Override
    public String toString() {
        return new String(a, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }
}
