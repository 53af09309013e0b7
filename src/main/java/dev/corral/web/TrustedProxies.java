package dev.corral.web;

import java.math.BigInteger;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import jakarta.servlet.http.HttpServletRequest;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import dev.corral.config.CorralProperties;

/**
 * The reverse proxies Corral believes (setting TRUSTED_PROXIES: comma-separated IP addresses or CIDR ranges, IPv4 or
 * IPv6; empty trusts nobody). Headers a client can forge, such as X-Request-Id, are only taken from a request whose
 * direct peer is one of them. Entries must be IP literals: a host name would make every check a DNS lookup.
 */
@Component
public final class TrustedProxies {

    private record Range(byte[] network, int prefixLength) {

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int bits = address.length * 8;
            return new BigInteger(1, address).shiftRight(bits - prefixLength)
                    .equals(new BigInteger(1, network).shiftRight(bits - prefixLength));
        }
    }

    private final List<Range> ranges;

    @Autowired
    public TrustedProxies(CorralProperties properties) {
        this(properties.trustedProxies());
    }

    /** Throws {@link IllegalArgumentException} naming the first entry that is not an IP address or CIDR range. */
    public TrustedProxies(List<String> entries) {
        List<Range> parsed = new ArrayList<>();
        for (String entry : entries == null ? List.<String>of() : entries) {
            String trimmed = entry.strip();
            if (!trimmed.isEmpty()) {
                parsed.add(parse(trimmed));
            }
        }
        this.ranges = List.copyOf(parsed);
    }

    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    /** Whether {@code address} (an IP literal, as a servlet request reports it) is a trusted proxy. */
    public boolean isTrusted(String address) {
        if (ranges.isEmpty() || address == null || address.isEmpty()) {
            return false;
        }
        byte[] bytes;
        try {
            bytes = InetAddress.ofLiteral(address).getAddress();
        } catch (IllegalArgumentException e) {
            return false;
        }
        return ranges.stream().anyMatch(r -> r.contains(bytes));
    }

    /** Whether the request came straight from a trusted proxy (see {@link PeerAddress}). */
    public boolean isFromTrustedProxy(HttpServletRequest request) {
        return isTrusted(PeerAddress.of(request));
    }

    /**
     * The client's IP address: the connection peer unless that is a trusted proxy, then the right-most address of
     * X-Forwarded-For that is not itself a trusted proxy (entries left of it are whatever the client chose to send).
     * When every forwarded address is trusted, the left-most one.
     */
    public String clientAddress(HttpServletRequest request) {
        String peer = PeerAddress.of(request);
        if (!isTrusted(peer)) {
            return peer;
        }
        String resolved = request.getRemoteAddr();
        if (resolved != null && !resolved.equals(peer)) {
            // FORWARD_HEADERS_STRATEGY=native: Tomcat already took the client from X-Forwarded-For and removed the
            // entries it used, so what is left of the header is only what the client sent.
            return resolved;
        }
        String client = peer;
        var headers = request.getHeaders("X-Forwarded-For");
        List<String> hops = new ArrayList<>();
        while (headers != null && headers.hasMoreElements()) {
            for (String hop : headers.nextElement().split(",")) {
                if (!hop.isBlank()) {
                    hops.add(hop.strip());
                }
            }
        }
        for (int i = hops.size() - 1; i >= 0; i--) {
            // Bounded: the address becomes a map key and may be logged.
            client = hops.get(i).length() > 64 ? hops.get(i).substring(0, 64) : hops.get(i);
            if (!isTrusted(client)) {
                break;
            }
        }
        return client;
    }

    private static Range parse(String entry) {
        int slash = entry.indexOf('/');
        String address = slash < 0 ? entry : entry.substring(0, slash);
        byte[] network;
        try {
            network = InetAddress.ofLiteral(address).getAddress();
        } catch (IllegalArgumentException e) {
            throw invalid(entry);
        }
        int maxPrefix = network.length * 8;
        int prefix = maxPrefix;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(entry.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw invalid(entry);
            }
            if (prefix < 0 || prefix > maxPrefix) {
                throw invalid(entry);
            }
        }
        return new Range(network, prefix);
    }

    private static IllegalArgumentException invalid(String entry) {
        return new IllegalArgumentException("TRUSTED_PROXIES: '" + entry
                + "' is not an IP address or CIDR range (e.g. 10.0.0.5, 10.0.0.0/8, fd00::/8)");
    }
}
