package io.discagent.service.http;

import io.discagent.service.problem.ProblemKind;
import io.discagent.service.problem.ServiceProblem;
import io.discagent.service.session.Secrets;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The safety checks in front of every endpoint.
 *
 * <ul>
 * <li><b>Host check</b> (loopback binds): the {@code Host} header must name the loopback interface, so a web page
 * elsewhere cannot reach the API by DNS rebinding.</li>
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
    private final String boundHost;

    public Guard(@Nullable String accessToken, @Nullable String adminToken, boolean loopback, String boundHost) {
        this.accessToken = accessToken;
        this.adminToken = adminToken;
        this.loopback = loopback;
        this.boundHost = boundHost.toLowerCase(Locale.ROOT);
    }

    /** The handler that enforces {@code access}, then passes the request on. */
    public Handler<RoutingContext> handler(Access access, boolean tokenInQuery) {
        return rc -> {
            checkHost(rc.request());
            if (access != Access.PUBLIC) {
                checkAccessToken(rc, tokenInQuery);
            }
            if (access == Access.SIMULATOR && !loopback) {
                requireAdmin(rc);
            }
            rc.next();
        };
    }

    private void checkHost(HttpServerRequest request) {
        if (!loopback) {
            return;
        }
        HostAndPort authority = request.authority();
        if (authority == null) {
            return;
        }
        String host = authority.host().toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        boolean allowed = host.equals("localhost") || host.endsWith(".localhost") || host.startsWith("127.")
                || host.equals("::1") || host.equals(boundHost);
        if (!allowed) {
            throw ServiceProblem.of(ProblemKind.FORBIDDEN, "the Host header '" + ServiceProblem.shorten(host) + "' does not name this machine's "
                    + "loopback interface");
        }
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
     * @throws ApiError 403 when it carries a wrong one, or one while none is configured
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
