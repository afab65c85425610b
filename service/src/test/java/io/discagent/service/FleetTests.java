package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;
import static io.discagent.service.FleetSupport.freePorts;
import static io.discagent.service.FleetSupport.secret;
import static io.discagent.service.FleetSupport.view;
import static io.discagent.service.FleetSupport.awaitView;
import static io.discagent.service.FleetSupport.reachable;
import static io.discagent.service.FleetSupport.lock;

import io.discagent.api.RecorderId;
import io.discagent.api.ClientSession;
import io.discagent.service.fleet.FleetView;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.ServerSocket;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A fleet of real cluster members on loopback (one JVM here; each member its own clustered Vert.x and Hazelcast
 * instance): the fleet view converges on every member, follows lock changes on other nodes, marks a node that left
 * unreachable and shows it again with its real state when it comes back, and refuses a member without the secret.
 * Real, bounded waits: the cluster's own timers (Hazelcast's join and failure detection) run on real time.
 */
class FleetTests {

    private static final byte[] SECRET = secret();

    private final List<TestService> started = new ArrayList<>();

    @AfterEach
    void stop() {
        for (TestService t : started) {
            t.close();
        }
    }

    @Test
    void everyMemberSeesEveryRecorderOfEveryNode() {
        int[] ports = freePorts(3);
        TestService a = member("node-a", ports, 0, SECRET);
        TestService b = member("node-b", ports, 1, SECRET);
        TestService c = member("node-c", ports, 2, SECRET);
        for (TestService t : List.of(a, b, c)) {
            awaitView(t, view -> reachable(view).equals(List.of("node-a", "node-b", "node-c"))
                    && view.recorders().size() == 6);
        }
        FleetView view = view(a);
        assertThat(view.recorders()).extracting(FleetView.Recorder::qualifiedId).containsExactly(
                "node-a/sim-0", "node-a/sim-1", "node-b/sim-0", "node-b/sim-1", "node-c/sim-0", "node-c/sim-1");
        assertThat(view.self()).isEqualTo("node-a");
        // over HTTP, as the status page and the CLI read it
        TestService.Reply reply = a.get("/api/v1/fleet/recorders");
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        JsonObject json = reply.json();
        assertThat(json.getString("fleet")).isEqualTo("kiosks");
        assertThat(json.getJsonArray("recorders")).hasSize(6);
        JsonObject first = json.getJsonArray("recorders").getJsonObject(2);
        assertThat(first.getString("id")).isEqualTo("node-b/sim-0");
        assertThat(first.getString("node")).isEqualTo("node-b");
        assertThat(first.getString("recorder")).isEqualTo("sim-0");
        assertThat(first.getBoolean("reachable")).isTrue();
        assertThat(first.getJsonObject("lock").getString("state")).isEqualTo("free");
        assertThat(first.getJsonObject("media")).as("the medium of a remote recorder").isNotNull();
        assertThat(a.service.fleet().node().orElseThrow().droppedMessages()).isZero();
        // and from the command line
        CliRun list = CliRun.against(b.base, "list", "--fleet");
        assertThat(list.exitCode()).as(list.err()).isZero();
        assertThat(list.out()).containsPattern("node-a/sim-0\\s+node-a\\s+free").contains("node-c/sim-1");
    }

    @Test
    void aLockTakenOnOneNodeShowsOnTheOthersWithItsOwnerAndCount() {
        int[] ports = freePorts(2);
        TestService a = member("node-a", ports, 0, SECRET);
        TestService b = member("node-b", ports, 1, SECRET);
        awaitView(a, view -> reachable(view).size() == 2 && view.recorders().size() == 4);
        ClientSession burner = b.service.agent().openSession("Burner on B").block(Duration.ofSeconds(5));
        burner.acquire(RecorderId.of("sim-1")).block(Duration.ofSeconds(5));
        burner.acquire(RecorderId.of("sim-1")).block(Duration.ofSeconds(5));
        awaitView(a, view -> lock(view, "node-b/sim-1").getInteger("count") == 2);
        JsonObject lock = lock(view(a), "node-b/sim-1");
        assertThat(lock.getString("owner")).isEqualTo("Burner on B");
        assertThat(lock.getInteger("count")).isEqualTo(2);
        assertThat(lock(view(a), "node-b/sim-0").getString("state")).isEqualTo("free");
        burner.close().block(Duration.ofSeconds(5));
        awaitView(a, view -> lock(view, "node-b/sim-1").getString("state").equals("free"));
    }

    @Test
    void aNodeThatLeavesIsShownUnreachableAndComesBackWithItsRealState() {
        int[] ports = freePorts(2);
        TestService a = member("node-a", ports, 0, SECRET);
        TestService b = member("node-b", ports, 1, SECRET);
        awaitView(a, view -> reachable(view).size() == 2);
        started.remove(b);
        b.close();
        awaitView(a, view -> reachable(view).equals(List.of("node-a")));
        FleetView gone = view(a);
        assertThat(gone.recorders()).filteredOn(r -> r.node().equals("node-b")).hasSize(2)
                .allSatisfy(r -> assertThat(r.reachable()).isFalse());
        // node-b comes back with one recorder held by a local client
        TestService back = member("node-b", ports, 1, SECRET);
        ClientSession local = back.service.agent().openSession("Local").block(Duration.ofSeconds(5));
        local.acquire(RecorderId.of("sim-0")).block(Duration.ofSeconds(5));
        awaitView(a, view -> reachable(view).size() == 2
                && lock(view, "node-b/sim-0").getString("state").equals("held"));
        assertThat(lock(view(a), "node-b/sim-0").getString("owner")).isEqualTo("Local");
    }

    /**
     * node-b is {@code discagent serve --cluster} in a JVM of its own, SIGKILLed while one of its recorders is held:
     * node-a shows it unreachable within the stated detection time (the stale limit, 3 s here, or Hazelcast's
     * 5 s, whichever first; a second of margin
     * for this machine) and nothing of node-a changes.
     */
    @Test
    void aKilledNodeIsUnreachableWithinTheDetectionTimeAndTheOthersAreUntouched() throws Exception {
        int[] ports = freePorts(2);
        TestService a = member("node-a", ports, 0, SECRET);
        Path secretFile = Files.createTempFile("fleet", ".secret");
        Files.write(secretFile, SECRET); // text, as `openssl rand -base64 48` writes it
        ClientSession local = a.service.agent().openSession("Local on A").block(Duration.ofSeconds(5));
        local.acquire(RecorderId.of("sim-0")).block(Duration.ofSeconds(5));
        try (CliProcess b = CliProcess.start("serve", "--port", "0", "--cluster", "kiosks", "--node", "node-b",
                "--cluster-port", String.valueOf(ports[1]), "--cluster-members", "127.0.0.1:" + ports[0],
                "--cluster-secret-file", secretFile.toString(), "--fleet-heartbeat", "500ms",
                "--fleet-stale-after", "3s")) {
            awaitView(a, view -> reachable(view).equals(List.of("node-a", "node-b")) && view.recorders().size() == 4);
            b.handle().destroyForcibly(); // SIGKILL: no goodbye to the cluster
            long killed = System.nanoTime();
            awaitView(a, view -> reachable(view).equals(List.of("node-a")));
            Duration detected = Duration.ofNanos(System.nanoTime() - killed);
            assertThat(detected).as("time to show the killed node unreachable").isLessThan(Duration.ofSeconds(4));
            FleetView view = view(a);
            assertThat(view.recorders()).filteredOn(r -> r.node().equals("node-b")).hasSize(2)
                    .allSatisfy(r -> assertThat(r.reachable()).isFalse());
            assertThat(lock(view, "node-a/sim-0").getString("owner")).isEqualTo("Local on A");
            assertThat(local.acquire(RecorderId.of("sim-0")).block(Duration.ofSeconds(5)).lockCount()).isEqualTo(2);
        } finally {
            Files.deleteIfExists(secretFile);
        }
    }

    @Test
    void aMemberWithoutTheSecretIsNeitherAdmittedNorBelieved() {
        int[] ports = freePorts(2);
        TestService a = member("node-a", ports, 0, SECRET);
        TestService intruder = member("intruder", ports, 1, secret());
        awaitView(a, view -> view.nodes().size() == 1);
        awaitView(intruder, view -> view.nodes().size() == 1);
        // both stay alone for a while: a few heartbeats
        long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < until) {
            assertThat(view(a).nodes()).extracting(FleetView.Node::name).containsExactly("node-a");
            Thread.onSpinWait();
        }
        assertThat(view(intruder).nodes()).extracting(FleetView.Node::name).containsExactly("intruder");
    }

    @Test
    void aRemoteHoldKeepsExactCountsOnTheOwningNodeAndIsFencedOnceGone() {
        TestService[] pair = joinedPair();
        TestService a = pair[0];
        TestService b = pair[1];
        TestService.Session central = a.openForMinutes("Central");
        assertThat(remote(a, central, "node-b/sim-0", "acquire", 0).json().getInteger("lockCount")).isEqualTo(1);
        TestService.Reply second = remote(a, central, "node-b/sim-0", "acquire", 0);
        assertThat(second.status()).as(second.body()).isEqualTo(200);
        assertThat(second.json().getInteger("lockCount")).isEqualTo(2);
        assertThat(second.json().getString("recorder")).isEqualTo("node-b/sim-0");
        JsonObject lock = b.lock("sim-0"); // the owning node's own API
        assertThat(lock.getString("owner")).isEqualTo("node-a: Central");
        assertThat(lock.getInteger("count")).isEqualTo(2);
        // another client of node-b is refused while node-a's client holds it
        TestService.Session local = b.openForMinutes("Local");
        b.acquire(local, "sim-0").problem(423, "E_IMAPI_RECORDER_LOCKED");
        assertThat(remote(a, central, "node-b/sim-0", "release", 0).json().getInteger("lockCount")).isEqualTo(1);
        assertThat(remote(a, central, "node-b/sim-0", "release", 0).json().getInteger("lockCount")).isEqualTo(0);
        assertThat(b.lock("sim-0").getString("state")).isEqualTo("free");
        remote(a, central, "node-b/sim-0", "release", 0).problem(409, "HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)");
        // a recorder that does not exist there: the owning node's typed error
        remote(a, central, "node-b/sim-9", "acquire", 0).problem(404, "HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)");
        // a node that is not in the fleet
        remote(a, central, "node-z/sim-0", "acquire", 0).problem(404, "HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)");
    }

    @Test
    void aRemoteWaiterIsHandedTheLockWhenTheLocalHolderReleases() throws Exception {
        TestService[] pair = joinedPair();
        TestService a = pair[0];
        TestService b = pair[1];
        TestService.Session local = b.openForMinutes("Local");
        assertThat(b.acquire(local, "sim-1").status()).isEqualTo(200);
        TestService.Session central = a.openForMinutes("Central");
        // without waiting: the owning node's refusal, naming its holder; with a short wait: its timeout
        JsonObject locked = remote(a, central, "node-b/sim-1", "acquire", 0).problem(423, "E_IMAPI_RECORDER_LOCKED");
        assertThat(locked.getString("detail")).contains("Local");
        remote(a, central, "node-b/sim-1", "acquire", 300).problem(504, "HRESULT_FROM_WIN32(ERROR_TIMEOUT)");
        java.util.concurrent.CompletableFuture<TestService.Reply> waiting = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> remote(a, central, "node-b/sim-1", "acquire", 15_000));
        TestService.eventually(() -> b.get("/api/v1/recorders/sim-1").json().getJsonObject("lock") != null
                && b.service.agent().statistics().waiting() == 1);
        assertThat(waiting).isNotDone();
        assertThat(b.release(local, "sim-1").status()).isEqualTo(200);
        TestService.Reply granted = waiting.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(granted.status()).as(granted.body()).isEqualTo(200);
        assertThat(b.lock("sim-1").getString("owner")).isEqualTo("node-a: Central");
    }

    @Test
    void closingTheRequestingSessionEndsItsRemoteHolds() {
        TestService[] pair = joinedPair();
        TestService a = pair[0];
        TestService b = pair[1];
        TestService.Session central = a.openForMinutes("Central");
        assertThat(remote(a, central, "node-b/sim-0", "acquire", 0).status()).isEqualTo(200);
        assertThat(remote(a, central, "node-b/sim-1", "acquire", 0).status()).isEqualTo(200);
        assertThat(a.send("DELETE", "/api/v1/sessions/" + central.id(), null, "X-Session-Token", central.token())
                .status()).isEqualTo(204);
        TestService.eventually(() -> b.lock("sim-0").getString("state").equals("free")
                && b.lock("sim-1").getString("state").equals("free"));
    }

    /** The session closes while its remote acquire waits there: the grant it gets later must not stay held. */
    @Test
    void aSessionClosedWhileItsRemoteAcquireWaitsLeavesNothingHeldThere() throws Exception {
        TestService[] pair = joinedPair();
        TestService a = pair[0];
        TestService b = pair[1];
        TestService.Session local = b.openForMinutes("Local");
        assertThat(b.acquire(local, "sim-0").status()).isEqualTo(200);
        TestService.Session central = a.openForMinutes("Central");
        java.util.concurrent.CompletableFuture<TestService.Reply> waiting = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> remote(a, central, "node-b/sim-0", "acquire", 15_000));
        TestService.eventually(() -> b.service.agent().statistics().waiting() == 1);
        assertThat(a.send("DELETE", "/api/v1/sessions/" + central.id(), null, "X-Session-Token", central.token())
                .status()).isEqualTo(204);
        assertThat(b.release(local, "sim-0").status()).isEqualTo(200); // the remote waiter is granted now
        TestService.Reply answer = waiting.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(answer.status()).as(answer.body()).isNotEqualTo(200);
        TestService.eventually(() -> b.lock("sim-0").getString("state").equals("free"));
        assertThat(b.service.agent().statistics().waiting()).isZero();
    }

    @Test
    void aNodeThatShutsDownGivesBackItsClientsRemoteHoldsAtOnce() {
        TestService[] pair = joinedPair();
        TestService a = pair[0];
        TestService b = pair[1];
        TestService.Session central = a.openForMinutes("Central");
        assertThat(remote(a, central, "node-b/sim-0", "acquire", 0).status()).isEqualTo(200);
        started.remove(a);
        a.close();
        long closed = System.nanoTime();
        // well before node-b's lease of that session (twice the stale limit: 6 s here) would run out
        TestService.eventually(() -> b.lock("sim-0").getString("state").equals("free"));
        assertThat(Duration.ofNanos(System.nanoTime() - closed)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void aServiceOutsideAFleetSaysSo() {
        TestService alone = TestService.start(c -> { });
        started.add(alone);
        TestService.Reply reply = alone.get("/api/v1/fleet/recorders");
        assertThat(reply.status()).isEqualTo(404);
        assertThat(reply.json().getString("type")).endsWith("no-fleet");
        assertThat(alone.service.fleet().configured()).isFalse();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** node-a and node-b, both reachable in node-a's view. */
    private TestService[] joinedPair() {
        int[] ports = freePorts(2);
        TestService a = member("node-a", ports, 0, SECRET);
        TestService b = member("node-b", ports, 1, SECRET);
        awaitView(a, view -> reachable(view).size() == 2);
        return new TestService[] {a, b};
    }

    private TestService member(String node, int[] ports, int index, byte[] secret) {
        TestService t = FleetSupport.member(node, ports, index, secret, c -> { });
        started.add(t);
        return t;
    }

    /** A remote acquire or release through node {@code t}'s API: {@code target} is {@code node/recorder}. */
    private static TestService.Reply remote(TestService t, TestService.Session session, String target, String op,
            long waitMillis) {
        JsonObject body = new JsonObject().put("sessionId", session.id());
        if (op.equals("acquire")) {
            body.put("waitMillis", waitMillis);
        }
        return t.post("/api/v1/fleet/recorders/" + target + "/" + op, body, "X-Session-Token", session.token());
    }





}
