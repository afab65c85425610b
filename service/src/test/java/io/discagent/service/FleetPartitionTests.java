package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;
import static io.discagent.service.FleetSupport.reachable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.discagent.service.fleet.FleetView;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real partition: node-b is {@code discagent serve --cluster} in a network namespace of its own, joined to node-a
 * (this JVM) over a veth link that the test cuts and mends. A remote hold of node-a's client on node-b is fenced: its
 * session on node-b expires during the partition (node-a cannot renew it), node-b frees the drive for its own clients,
 * and after the partition node-a's client learns it lost the drive (its release is refused) instead of believing it
 * still holds it. Needs root and iproute2 ({@code .ci/run} runs as root and installs them); real, bounded waits.
 */
class FleetPartitionTests {

    private static final String NS = "discagent-fleet-b";
    private static final String HOST_A = "10.77.31.1";
    private static final String HOST_B = "10.77.31.2";
    private static final Duration CONVERGE = Duration.ofSeconds(40);

    private TestService a;
    private CliProcess b;
    private Path secretFile;

    @BeforeEach
    void network() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to create a network namespace");
        assumeTrue(sh("ip", "-V") == 0, "needs iproute2 (ip)");
        cleanup();
        requireOk("ip", "netns", "add", NS);
        requireOk("ip", "link", "add", "dfleet-a", "type", "veth", "peer", "name", "dfleet-b");
        requireOk("ip", "link", "set", "dfleet-b", "netns", NS);
        requireOk("ip", "addr", "add", HOST_A + "/24", "dev", "dfleet-a");
        requireOk("ip", "link", "set", "dfleet-a", "up");
        requireOk("ip", "netns", "exec", NS, "ip", "addr", "add", HOST_B + "/24", "dev", "dfleet-b");
        requireOk("ip", "netns", "exec", NS, "ip", "link", "set", "dfleet-b", "up");
        requireOk("ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up");
    }

    @AfterEach
    void stop() throws Exception {
        if (b != null) {
            b.close();
        }
        if (a != null) {
            a.close();
        }
        if (secretFile != null) {
            Files.deleteIfExists(secretFile);
        }
        cleanup();
    }

    @Test
    void aRemoteHoldIsFencedWhenItsSessionExpiresDuringAPartition() throws Exception {
        byte[] secret = new byte[48];
        new SecureRandom().nextBytes(secret);
        byte[] text = java.util.Base64.getEncoder().encode(secret);
        secretFile = Files.createTempFile("fleet", ".secret");
        Files.write(secretFile, text);
        int portA = 15701;
        int portB = 15702;
        int httpB = 18741;
        a = TestService.start(c -> c.cluster("kiosks").node("node-a").clusterHost(HOST_A).clusterPort(portA)
                .clusterMembers(HOST_B + ":" + portB).clusterAllowRemote(true).clusterSecret(text)
                .fleetHeartbeat(Duration.ofMillis(500)).fleetStaleAfter(Duration.ofSeconds(3)));
        b = CliProcess.startUnder(List.of("ip", "netns", "exec", NS), java.util.Map.of(), "serve", "--port",
                String.valueOf(httpB), "--cluster", "kiosks", "--node", "node-b", "--cluster-host", HOST_B,
                "--cluster-port", String.valueOf(portB), "--cluster-members", HOST_A + ":" + portA,
                "--cluster-allow-remote", "--cluster-secret-file", secretFile.toString(), "--fleet-heartbeat",
                "500ms", "--fleet-stale-after", "3s");
        awaitView(view -> reachable(view).equals(List.of("node-a", "node-b")) && view.recorders().size() == 4);

        TestService.Session central = a.openForMinutes("Central");
        TestService.Reply granted = remote(central, "node-b/sim-0", "acquire");
        assertThat(granted.status()).as(granted.body()).isEqualTo(200);
        assertThat(lockOnB("sim-0").getString("owner")).isEqualTo("node-a: Central");
        // and a withLock body of the fleet as a RecorderAgent (the library's view), holding node-b's other drive
        io.discagent.api.ClientSession library = a.service.fleet().node().orElseThrow().agent()
                .openSession("Library").block(CONVERGE);
        java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch cancelled = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CompletableFuture<Throwable> ended = new java.util.concurrent.CompletableFuture<>();
        library.withLock(io.discagent.api.RecorderId.of("node-b/sim-1"), io.discagent.api.AcquireOptions.waitUpTo(
                CONVERGE), grant -> reactor.core.publisher.Flux.never().doOnSubscribe(s -> running.countDown())
                .doOnCancel(cancelled::countDown))
                .subscribe(x -> { }, ended::complete, () -> ended.complete(null));
        assertThat(running.await(CONVERGE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(lockOnB("sim-1").getString("owner")).isEqualTo("node-a: Library");

        requireOk("ip", "link", "set", "dfleet-a", "down"); // the partition
        awaitView(view -> reachable(view).equals(List.of("node-a")));
        // node-a cannot prove the library's hold any more: its withLock body ends, typed, and the hold is given up
        assertThat(ended.get(CONVERGE.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(
                io.discagent.api.error.RecorderRemovedException.class).hasMessageContaining("unreachable");
        assertThat(cancelled.getCount()).isZero();
        assertThat(library.lockCount(io.discagent.api.RecorderId.of("node-b/sim-1")).block(CONVERGE)).isZero();
        // node-b closes the session it kept for node-a's client once it is not renewed (twice the stale limit)
        long deadline = System.nanoTime() + CONVERGE.toNanos();
        while (!lockOnB("sim-0").getString("state").equals("free") || !lockOnB("sim-1").getString("state")
                .equals("free")) {
            assertThat(System.nanoTime()).as("node-b freed the drive during the partition").isLessThan(deadline);
            Thread.onSpinWait();
        }

        requireOk("ip", "link", "set", "dfleet-a", "up"); // mended
        awaitView(view -> reachable(view).equals(List.of("node-a", "node-b")));
        // until the two halves have merged again (Hazelcast, within seconds) node-b may be unreachable for requests:
        // 404 (its address not registered yet) or, rarely, 503 (a request of that window went unanswered; docs/fleet.md)
        TestService.Reply release = remote(central, "node-b/sim-0", "release");
        long merged = System.nanoTime() + CONVERGE.toNanos();
        while ((release.status() == 404 || release.status() == 503) && System.nanoTime() < merged) {
            release = remote(central, "node-b/sim-0", "release");
        }
        JsonObject problem = release.problem(409, "HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)");
        assertThat(problem.getString("detail")).contains("fenced");
        // the client can take it again: a fresh session there
        TestService.Reply again = remote(central, "node-b/sim-0", "acquire");
        while ((again.status() == 404 || again.status() == 503) && System.nanoTime() < merged) {
            again = remote(central, "node-b/sim-0", "acquire");
        }
        assertThat(again.status()).as(again.body()).isEqualTo(200);
        assertThat(lockOnB("sim-0").getString("owner")).isEqualTo("node-a: Central");
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private TestService.Reply remote(TestService.Session session, String target, String op) {
        return a.post("/api/v1/fleet/recorders/" + target + "/" + op, new JsonObject().put("sessionId",
                session.id()), "X-Session-Token", session.token());
    }

    /** node-b's own view of a recorder, asked inside its namespace (its API is on its loopback). */
    private JsonObject lockOnB(String recorder) throws Exception {
        Process curl = new ProcessBuilder("ip", "netns", "exec", NS, "curl", "-s", "-m", "5",
                "http://127.0.0.1:18741/api/v1/recorders/" + recorder).redirectErrorStream(true).start();
        String body = new String(curl.getInputStream().readAllBytes());
        curl.waitFor(10, TimeUnit.SECONDS);
        return new JsonObject(body).getJsonObject("lock");
    }

    private void awaitView(java.util.function.Predicate<FleetView> condition) {
        long deadline = System.nanoTime() + CONVERGE.toNanos();
        FleetView last = null;
        while (System.nanoTime() < deadline) {
            if (a.service.fleet().node().isPresent()) {
                last = a.service.fleet().node().get().view().block(Duration.ofSeconds(5));
                if (condition.test(last)) {
                    return;
                }
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("the fleet view did not converge within " + CONVERGE + ": " + (last == null
                ? a.service.fleet().problem() : last.toJson().encodePrettily()) + "\nnode-b: " + (b == null ? ""
                : b.err()));
    }


    private static void cleanup() throws Exception {
        sh("ip", "link", "del", "dfleet-a");
        sh("ip", "netns", "del", NS);
    }

    private static void requireOk(String... command) throws Exception {
        assertThat(sh(command)).as(String.join(" ", command)).isZero();
    }

    private static int sh(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }
}
