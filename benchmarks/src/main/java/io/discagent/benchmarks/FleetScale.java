package io.discagent.benchmarks;

import io.discagent.service.DiscService;
import io.discagent.service.ServiceConfig;
import io.discagent.service.fleet.FleetNode;
import io.discagent.service.fleet.FleetView;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * <b>Fleet scale on this machine</b>, for docs/fleet.md's extrapolation: for each fleet size N given, starts N members
 * in this JVM on loopback (each a {@code DiscService} with its own clustered Vert.x and Hazelcast member and 4
 * simulated recorders, heartbeat {@value #HEARTBEAT_MILLIS} ms), and measures
 * <ul>
 * <li>how long until every member shows every other one reachable (from the first start);</li>
 * <li>the process's CPU time over {@value #STEADY_SECONDS} s of steady state, where every member publishes a snapshot
 * per heartbeat and receives every member's: N&sup2; snapshots per heartbeat in this JVM, so the CPU time per
 * snapshot received (an upper bound: it also carries each node's own heartbeat work, Hazelcast's own heartbeats and
 * the JIT);</li>
 * <li>the size of one node's snapshot (its recorders' JSON as the view holds them), and how long one {@code view()}
 * takes at N nodes.</li>
 * </ul>
 * Not JMH: the figure is a steady-state cost, not an operation's time. Run it alone on a quiet machine:
 * {@code java -cp benchmarks/target/benchmarks.jar io.discagent.benchmarks.FleetScale 2 4 6}.
 */
public final class FleetScale {

    static final int HEARTBEAT_MILLIS = 250;
    static final int STEADY_SECONDS = 10;

    private FleetScale() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("| members | recorders | converged after | CPU per s of steady state | CPU per snapshot "
                + "received | snapshot JSON per node | view() |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (String arg : args) {
            System.out.println(measure(Integer.parseInt(arg)));
        }
    }

    private static String measure(int n) throws Exception {
        byte[] raw = new byte[48];
        new SecureRandom().nextBytes(raw);
        byte[] secret = Base64.getEncoder().encode(raw);
        int[] ports = new int[n];
        for (int i = 0; i < n; i++) {
            ports[i] = freePort();
        }
        List<DiscService> members = new ArrayList<>();
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < n; i++) {
                int self = i;
                String others = IntStream.range(0, n).filter(j -> j != self).mapToObj(j -> "127.0.0.1:" + ports[j])
                        .collect(Collectors.joining(","));
                members.add(DiscService.start(ServiceConfig.builder().port(0).cluster("scale").node("node-" + i)
                        .clusterPort(ports[i]).clusterMembers(others).clusterSecret(secret)
                        .fleetHeartbeat(Duration.ofMillis(HEARTBEAT_MILLIS))
                        .fleetStaleAfter(Duration.ofMillis(8L * HEARTBEAT_MILLIS))
                        .agent(o -> o.backend("simulated").backendProperty("simulated.recorders", "4")).build()));
            }
            awaitConverged(members, n, Duration.ofSeconds(120));
            double converged = (System.nanoTime() - t0) / 1e9;
            Thread.sleep(3_000); // settle: JIT, Hazelcast's partition migrations
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long wall0 = System.nanoTime();
            Thread.sleep(STEADY_SECONDS * 1000L);
            double cpuSeconds = (os.getProcessCpuTime() - cpu0) / 1e9;
            double wallSeconds = (System.nanoTime() - wall0) / 1e9;
            double snapshots = (double) n * n * wallSeconds * 1000 / HEARTBEAT_MILLIS;
            FleetNode first = members.get(0).fleet().node().orElseThrow();
            FleetView view = first.view().block(Duration.ofSeconds(10));
            int bytes = view.recorders().stream().filter(r -> r.node().equals("node-1"))
                    .mapToInt(r -> r.recorder().encode().getBytes(StandardCharsets.UTF_8).length).sum();
            int calls = 200;
            long v0 = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                first.view().block(Duration.ofSeconds(10));
            }
            double viewMicros = (System.nanoTime() - v0) / 1e3 / calls;
            return String.format(Locale.ROOT, "| %d | %d | %.1f s | %.2f s | %.1f µs | %d B | %.0f µs |", n, 4 * n,
                    converged, cpuSeconds / wallSeconds, cpuSeconds / snapshots * 1e6, bytes, viewMicros);
        } finally {
            members.forEach(DiscService::close);
        }
    }

    private static void awaitConverged(List<DiscService> members, int n, Duration patience) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        for (DiscService member : members) {
            while (true) {
                if (member.fleet().node().isPresent()) {
                    FleetView view = member.fleet().node().get().view().block(Duration.ofSeconds(10));
                    if (view.nodes().stream().filter(FleetView.Node::reachable).count() == n
                            && view.recorders().size() == 4 * n) {
                        break;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(n + " members did not converge within " + patience);
                }
                Thread.sleep(20);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
