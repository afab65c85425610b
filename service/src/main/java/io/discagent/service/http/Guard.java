package io.discagent.service.http;

import io.discagent.api.error.InvalidArgumentException;
import io.discagent.service.ServiceConfig;
import io.discagent.service.problem.ProblemKind;
import io.discagent.service.problem.ServiceProblem;
import io.discagent.service.session.Secrets;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;
import java.util.HashSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The safety checks in front of every endpoint.
 *
 * <ul>
 * <li><b>Front door</b> ({@link #frontDoor()}, every request, before routing): the {@code Host} header must name this
 * service ({@link HostPolicy}: no DNS rebinding) and an {@code Origin} header, when there is one, must be the
 * service's own or an allowed one ({@link OriginPolicy}: no cross-site requests, no WebSocket hijacking).</li>
 * <li><b>Access token</b>: when configured (always, on a non-loopback bind), every {@link Access#API} and
 * {@link Access#SIMULATOR} request needs {@code Authorization: Bearer <token>}; the event streams also take
 * {@code ?access_token=} because browsers cannot set headers on {@code EventSource} or {@code WebSocket}.</li>
 * <li><b>Admin token</b> ({@code X-Admin-Token}): simulator control on a non-loopback bind, and closing another
 * client's session.</li>
 * </ul>
 * Handlers run on the HTTP event loop.
 */
public final class Guard {

    /** The header of the admin token. */
    public static final String ADMIN_HEADER = "X-Admin-Token";

    private final @Nullable String accessToken;
    private final @Nullable String adminToken;
    private final boolean loopback;
    private final HostPolicy hosts;
    private final OriginPolicy origins;

    Guard(ServiceConfig config) {
        this.accessToken = config.accessToken().orElse(null);
        this.adminToken = config.adminToken().orElse(null);
        this.loopback = config.bindsLoopback();
        Set<String> names = new HashSet<>(config.allowedHosts());
        names.add(config.host());
        this.hosts = new HostPolicy(names, !loopback);
        this.origins = new OriginPolicy(Set.copyOf(config.allowedOrigins()));
    }

    /** The handler that checks {@code Host} and {@code Origin} of every request, then passes it on. */
    Handler<RoutingContext> frontDoor() {
        return rc -> {
            rc.response().putHeader("X-Content-Type-Options", "nosniff");
            HttpServerRequest request = rc.request();
            HostAndPort authority = request.authority();
            if (authority == null) { // HTTP/1.0 without Host; Vert.x refuses it for HTTP/1.1 before routing
                throw new InvalidArgumentException("the request has no Host header");
            }
            String target = request.uri();
            if (!target.startsWith("/")) {
                // absolute-form (RFC 9112 3.2.2): the target's authority names the server, whatever Host says
                authority = absoluteFormAuthority(target);
            }
            if (!hosts.allows(authority.host())) {
                throw ServiceProblem.of(ProblemKind.FORBIDDEN, "the Host header '" + ServiceProblem.shorten(
                        authority.host()) + "' does not name this service (add it to --allowed-hosts if you "
                        + "control that name)");
            }
            if (!wellEscaped(request.query())) { // Vert.x checks the path's escapes; the query is decoded lazily
                throw new InvalidArgumentException("the query has a malformed percent-escape");
            }
            String origin = request.getHeader("Origin");
            if (!origins.allows(origin, authority.host(), authority.port())) {
                throw ServiceProblem.of(ProblemKind.FORBIDDEN, "requests from the web page at '"
                        + ServiceProblem.shorten(String.valueOf(origin)) + "' are not allowed (only the service's "
                        + "own page and --allowed-origins)");
            }
            rc.next();
        };
    }

    /** The authority of an absolute-form request target ({@code http://host[:port]/path}). */
    private static HostAndPort absoluteFormAuthority(String target) {
        try {
            java.net.URI uri = new java.net.URI(target);
            String scheme = uri.getScheme();
            if (uri.getHost() != null && ("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))) {
                return HostAndPort.create(uri.getHost(), uri.getPort());
            }
        } catch (java.net.URISyntaxException e) {
            // refused below
        }
        throw new InvalidArgumentException("the request target is neither a path nor an http URL");
    }

    /** Whether every {@code %} of {@code query} starts an escape of two hexadecimal digits. */
    static boolean wellEscaped(@Nullable String query) {
        if (query == null) {
            return true;
        }
        for (int i = query.indexOf('%'); i >= 0; i = query.indexOf('%', i + 1)) {
            if (i + 2 >= query.length() || Character.digit(query.charAt(i + 1), 16) < 0
                    || Character.digit(query.charAt(i + 2), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /** The handler that enforces {@code access}, then passes the request on. */
    public Handler<RoutingContext> handler(Access access, boolean tokenInQuery) {
        return rc -> {
            if (access != Access.PUBLIC) {
                checkAccessToken(rc, tokenInQuery);
            }
            if (access == Access.SIMULATOR && !loopback) {
                requireAdmin(rc);
            }
            rc.next();
        };
    }

    private void checkAccessToken(RoutingContext rc, boolean tokenInQuery) {
        if (accessToken == null) {
            return;
        }
        String given = bearer(rc.request().getHeader("Authorization"));
        if (given == null && tokenInQuery) {
            given = rc.request().getParam("access_token");
        }
        if (given == null) {
            throw ServiceProblem.of(ProblemKind.UNAUTHORIZED, "this service needs its access token: Authorization: Bearer <token>");
        }
        if (!Secrets.matches(accessToken, given)) {
            throw ServiceProblem.of(ProblemKind.UNAUTHORIZED, "the access token is wrong");
        }
    }

    /**
     * Whether the request carries the right admin token.
     *
     * @throws ServiceProblem 403 when it carries a wrong one, or one while none is configured
     */
    public boolean isAdmin(RoutingContext rc) {
        String given = rc.request().getHeader(ADMIN_HEADER);
        if (given == null) {
            return false;
        }
        if (adminToken == null || !Secrets.matches(adminToken, given)) {
            throw ServiceProblem.of(ProblemKind.FORBIDDEN, "the admin token is wrong, or none is configured");
        }
        return true;
    }

    private void requireAdmin(RoutingContext rc) {
        if (!isAdmin(rc)) {
            throw ServiceProblem.of(ProblemKind.FORBIDDEN, "on a non-loopback bind, simulator control needs the admin token ("
                    + ADMIN_HEADER + ")");
        }
    }

    private static @Nullable String bearer(@Nullable String header) {
        if (header == null) {
            return null;
        }
        String trimmed = header.trim();
        if (trimmed.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return trimmed.substring(7).trim();
        }
        return null;
    }
}
