package dev.corral.apikey;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The key format: {@code crl_<public id>_<secret>}, e.g. {@code crl_Ab3dE5gH_<43 characters>}. The public id (8 base62
 * characters) with the {@code crl_} mark is the key's prefix: shown in lists, unique, and how a presented key is
 * found. The secret is 43 base62 characters from {@link SecureRandom}, about 256 bits, so a fast digest (SHA-256) of
 * the whole key is all that is stored: nobody can guess or brute-force a preimage of 256 random bits, and a slow
 * password hash would only add work to every request.
 */
final class ApiKeySecrets {

    static final String MARK = "crl_";
    static final int PUBLIC_ID_LENGTH = 8;
    static final int SECRET_LENGTH = 43;
    static final int KEY_LENGTH = MARK.length() + PUBLIC_ID_LENGTH + 1 + SECRET_LENGTH;
    private static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final Pattern FORMAT =
            Pattern.compile("crl_([0-9A-Za-z]{" + PUBLIC_ID_LENGTH + "})_[0-9A-Za-z]{" + SECRET_LENGTH + "}");

    /** A new key: the whole key (shown once), its prefix and the hex SHA-256 digest to store. */
    record Generated(String key, String prefix, String digest) {
    }

    private final SecureRandom random = new SecureRandom();

    Generated generate() {
        String publicId = randomChars(PUBLIC_ID_LENGTH);
        String key = MARK + publicId + "_" + randomChars(SECRET_LENGTH);
        return new Generated(key, MARK + publicId, HexFormat.of().formatHex(sha256(key)));
    }

    private String randomChars(int count) {
        StringBuilder out = new StringBuilder(count);
        for (int i = 0; i < count; i++) {
            out.append(ALPHABET.charAt(random.nextInt(ALPHABET.length()))); // uniform: nextInt has no modulo bias
        }
        return out.toString();
    }

    /** The prefix ({@code crl_} + public id) of a well-formed key, or null for anything else. */
    static String prefixOf(String key) {
        if (key == null || key.length() != KEY_LENGTH) {
            return null;
        }
        Matcher matcher = FORMAT.matcher(key);
        return matcher.matches() ? MARK + matcher.group(1) : null;
    }

    static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JDK has SHA-256", e);
        }
    }

    /** Constant-time comparison of a presented key's digest with a stored hex digest. */
    static boolean matches(byte[] presentedDigest, String storedHexDigest) {
        byte[] stored;
        try {
            stored = HexFormat.of().parseHex(storedHexDigest);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(presentedDigest, stored);
    }
}
