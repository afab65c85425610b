package io.discagent.service.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The names a request's {@code Host} header may give: the defence against DNS rebinding. A web page whose own name
 * an attacker makes resolve to this machine reaches the port, but its requests carry that name in {@code Host}, so
 * they are refused unless the name is one of these:
 *
 * <ul>
 * <li>a loopback address literal: {@code 127.0.0.0/8} as four decimal numbers ({@code 127.0.0.1}), or the IPv6
 * loopback in brackets ({@code [::1]}, any spelling of it);</li>
 * <li>{@code localhost} and any name under {@code .localhost} (RFC 6761: browsers resolve them to loopback
 * themselves and never ask DNS);</li>
 * <li>the configured bind host, and every name of the {@code allowedHosts} setting;</li>
 * <li>on a non-loopback bind, any IP address literal: a page served from an address literal has that address as its
 * origin, so it can only be a page of this service, never a rebound one.</li>
 * </ul>
 * Names are compared whole and case-insensitively; nothing is accepted by prefix ({@code 127.0.0.1.attacker.example}
 * is a DNS name, not a loopback address). The port is not checked: a port forward may change it.
 */
final class HostPolicy {

    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV6_LITERAL = Pattern.compile("\\[[0-9a-f:.]+]");

    private final Set<String> names;
    private final boolean anyAddressLiteral;

    /**
     * @param names allowed names besides the loopback ones: the bind host and the allowed hosts (any case; an IPv6
     *     address with or without brackets)
     * @param anyAddressLiteral whether every IP address literal is allowed (non-loopback binds)
     */
    HostPolicy(Set<String> names, boolean anyAddressLiteral) {
        this.names = names.stream().map(HostPolicy::normalize).collect(java.util.stream.Collectors.toUnmodifiableSet());
        this.anyAddressLiteral = anyAddressLiteral;
    }

    /** A host as compared: lower case, an IPv6 literal in brackets. */
    static String normalize(String host) {
        String lower = host.trim().toLowerCase(Locale.ROOT);
        return lower.contains(":") && !lower.startsWith("[") ? "[" + lower + "]" : lower;
    }

    /** Whether {@code host} (the host part of a {@code Host} header, without the port) names this service. */
    boolean allows(String host) {
        String h = normalize(host);
        if (h.equals("localhost") || h.endsWith(".localhost") || names.contains(h)) {
            return true;
        }
        InetAddress literal = addressLiteral(h);
        return literal != null && (anyAddressLiteral || literal.isLoopbackAddress());
    }

    /**
     * The address an IP literal spells: four decimal numbers of at most 255, or an IPv6 address in brackets;
     * {@code null} for anything else (a name is never looked up).
     */
    static @Nullable InetAddress addressLiteral(String host) {
        Matcher v4 = IPV4.matcher(host);
        if (v4.matches()) {
            byte[] bytes = new byte[4];
            for (int i = 0; i < 4; i++) {
                String part = v4.group(i + 1);
                int value = Integer.parseInt(part);
                if (value > 255 || (part.length() > 1 && part.charAt(0) == '0')) {
                    return null; // browsers read a leading zero as octal: refuse the ambiguity
                }
                bytes[i] = (byte) value;
            }
            return byAddress(bytes);
        }
        if (IPV6_LITERAL.matcher(host).matches()) {
            try {
                return InetAddress.getByName(host); // in brackets: parsed as an IPv6 literal, never looked up
            } catch (UnknownHostException e) {
                return null;
            }
        }
        return null;
    }

    private static @Nullable InetAddress byAddress(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
