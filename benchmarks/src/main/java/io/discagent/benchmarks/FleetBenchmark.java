package io.discagent.benchmarks;

import io.discagent.api.ClientSession;
import io.discagent.service.DiscService;
import io.discagent.service.ServiceConfig;
import io.discagent.service.fleet.FleetNode;
import io.discagent.service.fleet.FleetView;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * <b>fleet</b>: one acquire &rarr; release round trip of a recorder of node-b, made by a client of node-a over the
 * fleet (sealed request and reply on the clustered event bus, node-b's agent), against the same round trip made by a
 * client of node-b on its own agent. Both members run in this JVM on loopback (two clustered Vert.x instances, two
 * Hazelcast members), so the figure is the fleet's own cost without a network's latency. Reported as remote &divide;
 * local (same run).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FleetBenchmark {

    /** Two members of one fleet on loopback; node-a's fleet node and a session of node-b's own agent. */
    @State(Scope.Benchmark)
    public static class Fleet {

        DiscService a;
        DiscService b;
        FleetNode nodeA;
        ClientSession localOnB;
        ClientSession fleetOnA;

        @Setup(Level.Trial)
        public void start() throws IOException {
            byte[] raw = new byte[48];
            new SecureRandom().nextBytes(raw);
            byte[] secret = Base64.getEncoder().encode(raw);
            int portA = freePort();
            int portB = freePort();
            a = member("node-a", portA, portB, secret);
            b = member("node-b", portB, portA, secret);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (true) {
                if (a.fleet().node().isPresent()) {
                    FleetView view = a.fleet().node().get().view().block(BenchAgents.PATIENCE);
                    if (view.nodes().stream().filter(FleetView.Node::reachable).count() == 2) {
                        break;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the fleet did not form within 60 s");
                }
                Thread.onSpinWait();
            }
            nodeA = a.fleet().node().orElseThrow();
            localOnB = BenchAgents.session(b.agent(), "local bench");
            fleetOnA = BenchAgents.session(nodeA.agent(), "fleet agent bench");
        }

        @TearDown(Level.Trial)
        public void stop() {
            a.close();
            b.close();
        }

        private static DiscService member(String node, int port, int other, byte[] secret) {
            return DiscService.start(ServiceConfig.builder().port(0).cluster("bench").node(node).clusterPort(port)
                    .clusterMembers("127.0.0.1:" + other).clusterSecret(secret)
                    .agent(o -> o.backend("simulated").backendProperty("simulated.recorders", "2")).build());
        }

        private static int freePort() throws IOException {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            }
        }
    }

    /** A client of node-a takes and gives back sim-0 of node-b. */
    @Benchmark
    public Integer remote(Fleet f) {
        f.nodeA.acquireRemote("node-b", BenchAgents.SIM0, "bench-session", "remote bench", Duration.ZERO)
                .block(BenchAgents.PATIENCE);
        return f.nodeA.releaseRemote("node-b", BenchAgents.SIM0, "bench-session").block(BenchAgents.PATIENCE);
    }

    /** The same through the fleet as a {@code RecorderAgent}: a fleet session of node-a, {@code node-b/sim-0}. */
    @Benchmark
    public Integer fleetAgent(Fleet f) {
        io.discagent.api.RecorderId remote = io.discagent.api.RecorderId.of("node-b/sim-0");
        f.fleetOnA.acquire(remote).block(BenchAgents.PATIENCE);
        return f.fleetOnA.release(remote).block(BenchAgents.PATIENCE);
    }

    /** A client of node-b takes and gives back sim-1 of its own node. */
    @Benchmark
    public Integer local(Fleet f) {
        f.localOnB.acquire(io.discagent.api.RecorderId.of("sim-1")).block(BenchAgents.PATIENCE);
        return f.localOnB.release(io.discagent.api.RecorderId.of("sim-1")).block(BenchAgents.PATIENCE);
    }
}
