package io.discagent.service;

import io.discagent.service.fleet.FleetView;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Predicate;

/** What the fleet's tests share: free cluster ports, secrets, and the fleet view of a member, awaited. */
final class FleetSupport {

    /** How long a fleet view may take to show what a test expects (Hazelcast's join and failure detection). */
    static final Duration CONVERGE = Duration.ofSeconds(40);

    private FleetSupport() {
    }

    /** {@code n} free TCP ports on loopback (closed again: a member binds them next). */
    static int[] freePorts(int n) {
        int[] ports = new int[n];
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                sockets.add(socket);
                ports[i] = socket.getLocalPort();
            }
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return ports;
    }

    /** A secret as a file would hold it: 48 random bytes in Base64. */
    static byte[] secret() {
        byte[] secret = new byte[48];
        new SecureRandom().nextBytes(secret);
        return Base64.getEncoder().encode(secret);
    }

    /**
     * Starts member {@code node} of fleet "kiosks" on cluster port {@code ports[index]}, the other ports its members
     * (heartbeat 0.5 s, stale after 3 s), with {@code more} configured on top.
     */
    static TestService member(String node, int[] ports, int index, byte[] secret,
            java.util.function.Consumer<ServiceConfig.Builder> more) {
        String members = java.util.stream.IntStream.range(0, ports.length).filter(i -> i != index)
                .mapToObj(i -> "127.0.0.1:" + ports[i]).collect(java.util.stream.Collectors.joining(","));
        return TestService.start(c -> {
            c.cluster("kiosks").node(node).clusterPort(ports[index]).clusterMembers(members).clusterSecret(secret)
                    .fleetHeartbeat(Duration.ofMillis(500)).fleetStaleAfter(Duration.ofSeconds(3));
            more.accept(c);
        });
    }

    /**
     * Sends {@code body} to {@code path} of member {@code t} on a raw connection, with the session token, and returns
     * the socket: a client that closes it mid-wait has hung up.
     */
    static java.net.Socket rawPost(TestService t, String path, String token, JsonObject body) throws IOException {
        java.net.URI uri = java.net.URI.create(t.base);
        java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort());
        byte[] bytes = body.encode().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                + "\r\nContent-Type: application/json\r\nX-Session-Token: " + token
                + "\r\nContent-Length: " + bytes.length + "\r\n\r\n";
        java.io.OutputStream out = socket.getOutputStream();
        out.write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
        return socket;
    }

    /** What member {@code t} knows of its fleet now. */
    static FleetView view(TestService t) {
        return t.service.fleet().node().orElseThrow().view().block(Duration.ofSeconds(10));
    }

    /** Polls member {@code t}'s view (a real, bounded wait) until {@code condition} holds. */
    static void awaitView(TestService t, Predicate<FleetView> condition) {
        long deadline = System.nanoTime() + CONVERGE.toNanos();
        FleetView last = null;
        while (System.nanoTime() < deadline) {
            if (t.service.fleet().node().isPresent()) {
                last = view(t);
                if (condition.test(last)) {
                    return;
                }
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("the fleet view did not converge within " + CONVERGE + ": " + (last == null
                ? "not joined: " + t.service.fleet().problem() : last.toJson().encodePrettily()));
    }

    /** The reachable nodes of a view, sorted. */
    static List<String> reachable(FleetView view) {
        return view.nodes().stream().filter(FleetView.Node::reachable).map(FleetView.Node::name).sorted().toList();
    }

    /** The lock state of {@code node/id} in a view. */
    static JsonObject lock(FleetView view, String qualifiedId) {
        return view.recorders().stream().filter(r -> r.qualifiedId().equals(qualifiedId)).findFirst()
                .orElseThrow(() -> new AssertionError(qualifiedId + " not in " + view)).recorder()
                .getJsonObject("lock");
    }

    /** Starts node-a and node-b of one fleet (two simulated recorders each) and waits until both see all four. */
    static List<TestService> pair() {
        int[] ports = freePorts(2);
        byte[] secret = secret();
        List<TestService> pair = new ArrayList<>();
        pair.add(member("node-a", ports, 0, secret, cfg -> { }));
        pair.add(member("node-b", ports, 1, secret, cfg -> { }));
        for (TestService t : pair) {
            awaitView(t, v -> reachable(v).size() == 2 && v.recorders().size() == 4);
        }
        return pair;
    }

    /** Waits until no member has a waiter and every simulated drive of every member is free. */
    static void awaitEveryDriveFreeAndNoWaiter(List<TestService> members) {
        for (TestService t : members) {
            String node = t.service.fleet().node().orElseThrow().name();
            await("no waiter on " + node, () -> t.service.agent().statistics().waiting() == 0);
            for (io.discagent.api.RecorderId id : t.sim().recorders()) {
                await(id + " free on " + node, () -> t.lock(id.value()).getString("state").equals("free"));
            }
        }
    }

    /** Polls {@code condition} (a real, bounded wait of 20 s). */
    static void await(String what, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not within 20 s");
            }
            Thread.onSpinWait();
        }
    }
}
