package io.discagent.service.http;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The web pages that may call the API: the defence against cross-site requests and WebSocket hijacking. Browsers
 * send an {@code Origin} header with every WebSocket handshake, every cross-site request and every write; a request
 * that carries one is served only when it is
 *
 * <ul>
 * <li>the service's own origin: the status page, served at the scheme, host and port the request's {@code Host}
 * header names ({@code http} or {@code https}, for a TLS proxy in front), or</li>
 * <li>one of the {@code allowedOrigins} setting ({@code scheme://host[:port]}).</li>
 * </ul>
 * {@code Origin: null} (sandboxed frames, {@code file:} pages, some redirects) is refused. Requests without an
 * {@code Origin} (the CLI, curl, programs) are not browser requests and pass.
 */
public final class OriginPolicy {

    private final Set<String> allowed;

    /** @param allowed the allowed origins besides the service's own ({@code http://kiosk.example:8080}) */
    OriginPolicy(Set<String> allowed) {
        this.allowed = allowed.stream().map(origin -> {
            String normalized = normalize(origin);
            if (normalized == null) {
                throw new IllegalArgumentException("not an origin (scheme://host[:port]): " + origin);
            }
            return normalized;
        }).collect(Collectors.toUnmodifiableSet());
    }

    /**
     * Whether a request with this {@code Origin} may be served.
     *
     * @param origin the {@code Origin} header, or {@code null} when there is none
     * @param host the request's host (from its {@code Host} header)
     * @param port the request's port from its {@code Host} header, or a negative number when it named none
     */
    boolean allows(@Nullable String origin, String host, int port) {
        if (origin == null) {
            return true;
        }
        String normalized = normalize(origin);
        if (normalized == null) {
            return false; // "null", or not an origin at all
        }
        if (allowed.contains(normalized)) {
            return true;
        }
        URI uri = URI.create(normalized);
        String ownHost = HostPolicy.normalize(host);
        int ownPort = port >= 0 ? port : defaultPort(uri.getScheme());
        return HostPolicy.normalize(uri.getHost()).equals(ownHost) && uri.getPort() == ownPort;
    }

    /**
     * An origin as compared: {@code scheme://host:port} in lower case with the port always written;
     * {@code null} when {@code text} is not an {@code http}/{@code https} origin (a path, user info, {@code null}).
     */
    public static @Nullable String normalize(String text) {
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            return null;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                || uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null
                || !(uri.getRawPath() == null || uri.getRawPath().isEmpty())) {
            return null;
        }
        int port = uri.getPort() >= 0 ? uri.getPort() : defaultPort(scheme);
        return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ":" + port;
    }

    private static int defaultPort(String scheme) {
        return scheme.equals("https") ? 443 : 80;
    }
}
