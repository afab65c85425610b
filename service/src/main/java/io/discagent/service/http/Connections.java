package io.discagent.service.http;

import io.discagent.service.problem.ProblemKind;
import io.discagent.service.problem.ServiceProblem;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP server's open connections: at most {@code maxConnections} of them, and none kept by a client that sends
 * nothing. Each connection must
 *
 * <ul>
 * <li>deliver the headers of its first request within {@code headerTimeout} of opening (a connection that sends
 * nothing, or trickles its headers, is closed);</li>
 * <li>deliver a request's body within {@code requestTimeout} of its headers (else {@code 408} and the connection is
 * closed);</li>
 * <li>deliver the headers of its next request within {@code idleTimeout} of its previous response (an idle
 * keep-alive connection is closed).</li>
 * </ul>
 * While a response is under way nothing is timed: an acquire may wait up to {@code maxWait}, and event streams and
 * WebSockets last as long as their clients keep up (their keep-alives and the slow-consumer rule bound them). A
 * connection over the cap is closed as soon as it opens. A connection that became a WebSocket counts until the
 * WebSocket closes ({@link #upgraded}).
 *
 * <p>These are network timeouts, so they run on real time: one periodic sweep on the HTTP event loop (every quarter
 * of the shortest timeout, between 10 ms and 1 s) closes what is overdue, so a timeout fires at most that much late.
 * Everything here runs on the HTTP event loop.
 */
public final class Connections {

    private static final System.Logger LOG = System.getLogger(Connections.class.getName());

    /** One open connection, and where its current exchange stands. */
    private static final class Tracked {
        /** When it began to wait for request headers (opened, or its last response ended), or its request came. */
        long since;
        /** The request in progress or last served, or {@code null} before the first one. */
        HttpServerRequest request;
        /** Whether the last response ended (so the connection waits for its next request). */
        boolean idle;
        /** Whether it became a WebSocket: no HTTP timeouts any more. */
        boolean upgraded;

        Tracked(long since) {
            this.since = since;
        }
    }

    private final int maxConnections;
    private final long headerNanos;
    private final long idleNanos;
    private final long requestNanos;
    private final Map<HttpConnection, Tracked> open = new IdentityHashMap<>();
    private long refused;

    public Connections(int maxConnections, Duration headerTimeout, Duration idleTimeout, Duration requestTimeout) {
        this.maxConnections = maxConnections;
        this.headerNanos = headerTimeout.toNanos();
        this.idleNanos = idleTimeout.toNanos();
        this.requestNanos = requestTimeout.toNanos();
    }

    /** How often {@link #sweep} should run: a quarter of the shortest timeout, between 10 ms and 1 s. */
    public long sweepMillis() {
        long shortest = Math.min(headerNanos, Math.min(idleNanos, requestNanos)) / 4_000_000;
        return Math.max(10, Math.min(1000, shortest));
    }

    /** A connection opened: it is tracked, or closed at once when {@code maxConnections} are open. */
    public void opened(HttpConnection connection) {
        if (open.size() >= maxConnections) {
            refused++;
            if (refused == 1 || refused % 1000 == 0) {
                LOG.log(System.Logger.Level.WARNING, maxConnections + " connections are open (the limit, "
                        + "--max-connections); closing new ones (" + refused + " so far)");
            }
            connection.close();
            return;
        }
        open.put(connection, new Tracked(System.nanoTime()));
        connection.closeHandler(v -> open.remove(connection));
    }

    /** A request's headers arrived. */
    public void request(HttpServerRequest request) {
        Tracked tracked = open.get(request.connection());
        if (tracked != null) {
            tracked.request = request;
            tracked.idle = false;
            tracked.since = System.nanoTime();
        }
    }

    /**
     * The connection of {@code request} became a WebSocket: it is no longer timed, and counts until the WebSocket
     * closes and the returned callback runs (Vert.x tells the HTTP connection nothing once it was upgraded).
     */
    public Runnable upgraded(HttpServerRequest request) {
        HttpConnection connection = request.connection();
        Tracked tracked = open.get(connection);
        if (tracked != null) {
            tracked.upgraded = true;
        }
        return () -> open.remove(connection);
    }

    /** How many connections are open. */
    public int count() {
        return open.size();
    }

    /** Closes every connection whose client is overdue. */
    public void sweep() {
        long now = System.nanoTime();
        List<HttpConnection> overdue = new ArrayList<>();
        for (Map.Entry<HttpConnection, Tracked> entry : open.entrySet()) {
            Tracked t = entry.getValue();
            HttpServerRequest request = t.request;
            if (t.upgraded) {
                continue;
            }
            if (request != null && !t.idle && request.response().ended() && request.isEnded()) {
                t.idle = true; // seen at this sweep: the idle time counts from here
                t.since = now;
            }
            long limit = request == null ? headerNanos : t.idle ? idleNanos : !request.isEnded() ? requestNanos : -1;
            if (limit >= 0 && now - t.since > limit) {
                overdue.add(entry.getKey());
            }
        }
        for (HttpConnection connection : overdue) {
            Tracked t = open.remove(connection);
            if (t != null && t.request != null && !t.idle) {
                Replies.problem(t.request, ServiceProblem.of(ProblemKind.REQUEST_TIMEOUT, "the request's body did "
                        + "not arrive within " + requestNanos / 1_000_000 + " ms of its headers"));
            }
            connection.close();
        }
    }
}
