package dev.corral.web;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrustedProxiesTest {

    @Test
    void clientAddressComesFromForwardedForOnlyBehindATrustedProxy() {
        TrustedProxies proxies = new TrustedProxies(List.of("10.0.0.0/8"));
        var direct = new org.springframework.mock.web.MockHttpServletRequest();
        direct.setRemoteAddr("203.0.113.9");
        direct.addHeader("X-Forwarded-For", "198.51.100.1");
        assertThat(proxies.clientAddress(direct)).isEqualTo("203.0.113.9");

        var proxied = new org.springframework.mock.web.MockHttpServletRequest();
        proxied.setRemoteAddr("10.0.0.5");
        // The client forged the first entry; the proxy chain appended the real client and an inner proxy.
        proxied.addHeader("X-Forwarded-For", "1.2.3.4, 198.51.100.7, 10.0.0.9");
        assertThat(proxies.clientAddress(proxied)).isEqualTo("198.51.100.7");

        // Tomcat's RemoteIpValve (FORWARD_HEADERS_STRATEGY=native) already resolved the client and left only the
        // client's own, forgeable entries in the header: its answer stands.
        var resolvedByTomcat = new org.springframework.mock.web.MockHttpServletRequest();
        resolvedByTomcat.setAttribute(PeerAddress.ATTRIBUTE, "10.0.0.5");
        resolvedByTomcat.setRemoteAddr("198.51.100.7");
        resolvedByTomcat.addHeader("X-Forwarded-For", "1.2.3.4");
        assertThat(proxies.clientAddress(resolvedByTomcat)).isEqualTo("198.51.100.7");

        var noHeader = new org.springframework.mock.web.MockHttpServletRequest();
        noHeader.setRemoteAddr("10.0.0.5");
        assertThat(proxies.clientAddress(noHeader)).isEqualTo("10.0.0.5");
    }

    @Test
    void emptyTrustsNobody() {
        TrustedProxies none = new TrustedProxies(List.of("", " "));
        assertThat(none.isEmpty()).isTrue();
        assertThat(none.isTrusted("127.0.0.1")).isFalse();
    }

    @Test
    void singleAddressesAndRanges() {
        TrustedProxies proxies = new TrustedProxies(List.of(" 192.168.1.10 ", "10.0.0.0/8", "fd00::/8", "::1"));
        assertThat(proxies.isTrusted("192.168.1.10")).isTrue();
        assertThat(proxies.isTrusted("192.168.1.11")).isFalse();
        assertThat(proxies.isTrusted("10.255.3.4")).isTrue();
        assertThat(proxies.isTrusted("11.0.0.1")).isFalse();
        assertThat(proxies.isTrusted("fd12:3456::1")).isTrue();
        assertThat(proxies.isTrusted("fe80::1")).isFalse();
        assertThat(proxies.isTrusted("0:0:0:0:0:0:0:1")).isTrue();
        // An IPv4 address as IPv6 (as some stacks report it) is the IPv4 address.
        assertThat(proxies.isTrusted("::ffff:10.1.2.3")).isTrue();
        assertThat(proxies.isTrusted("not-an-ip")).isFalse();
        assertThat(proxies.isTrusted(null)).isFalse();
    }

    @Test
    void prefixesThatAreNotByteAligned() {
        TrustedProxies proxies = new TrustedProxies(List.of("172.16.0.0/12"));
        assertThat(proxies.isTrusted("172.31.255.255")).isTrue();
        assertThat(proxies.isTrusted("172.32.0.0")).isFalse();
        assertThat(new TrustedProxies(List.of("0.0.0.0/0")).isTrusted("8.8.8.8")).isTrue();
    }

    @Test
    void anythingButAnAddressOrRangeIsRejectedWithItsName() {
        for (String bad : List.of("proxy.example.com", "10.0.0.0/33", "10.0.0.0/x", "10.0.0.256", "::1/129")) {
            assertThatThrownBy(() -> new TrustedProxies(List.of(bad)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("TRUSTED_PROXIES").hasMessageContaining(bad);
        }
    }
}
