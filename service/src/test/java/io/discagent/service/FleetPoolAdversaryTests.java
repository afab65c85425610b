package io.discagent.service;

import static io.discagent.service.FleetSupport.freePorts;
import static io.discagent.service.FleetSupport.reachable;
import static io.discagent.service.FleetSupport.secret;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.RecorderId;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import io.discagent.service.SseClient.Frame;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Adversarial tests of the fleet's pool acquire ({@code POST /api/v1/fleet/recorders/acquire-any}) and of its event
 * stream ({@code GET /api/v1/fleet/events}), through the public HTTP API and documented behaviour only (docs/fleet.md,
 * "Any free drive of the fleet", "The fleet's event stream and status page", "Remote holds"). Three real members on
 * loopback (heartbeat 0.5 s, stale after 3 s), three simulated recorders each; a fourth joins and leaves in one test.
 * Every test leaves every drive free and every FIFO empty (checked after each). Real, bounded waits.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetPoolAdversaryTests {

    private static final Duration HEARTBEAT = Duration.ofMillis(500);

    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<TestService> started = new ArrayList<>();
    private final Map<TestService.Session, TestService> sessions = new ConcurrentHashMap<>();
    private final byte[] secret = secret();
    private int[] ports;
    private TestService a;
    private TestService b;
    private TestService c;

    @BeforeAll
    void fleet() {
        ports = freePorts(4);
        a = start(FleetSupport.member("node-a", ports, 0, secret, cfg -> cfg.maxWait(Duration.ofSeconds(60))
                .streamStallTimeout(Duration.ofMillis(500))
                .agent(o -> o.backendProperty("simulated.recorders", "3"))));
        b = start(FleetSupport.member("node-b", ports, 1, secret, cfg -> cfg.maxWait(Duration.ofSeconds(60))
                .agent(o -> o.backendProperty("simulated.recorders", "3"))));
        c = start(FleetSupport.member("node-c", ports, 2, secret, cfg -> cfg
                .agent(o -> o.backendProperty("simulated.recorders", "3"))));
        for (TestService t : started) {
            FleetSupport.awaitView(t, v -> reachable(v).size() == 3 && v.recorders().size() == 9);
        }
    }

    @AfterEach
    void everyDriveFreeAndNoWaiterLeft() {
        try {
            checkEveryDriveFreeAndNoWaiterLeft();
        } finally {
            // a failed test must not fail the next ones: its sessions end (and their holds, local and remote)
            for (Map.Entry<TestService.Session, TestService> e : sessions.entrySet()) {
                if (started.contains(e.getValue())) {
                    e.getValue().send("DELETE", "/api/v1/sessions/" + e.getKey().id(), null, "X-Session-Token",
                            e.getKey().token());
                }
            }
            sessions.clear();
        }
    }

    private void checkEveryDriveFreeAndNoWaiterLeft() {
        for (TestService t : started) {
            await(t.service.fleet().node().orElseThrow().name() + " with no waiter",
                    () -> t.service.agent().statistics().waiting() == 0);
            for (RecorderId id : t.sim().recorders()) {
                await(() -> t.service.fleet().node().orElseThrow().name() + "/" + id + " free: " + t.lock(id.value()),
                        () -> t.lock(id.value()).getString("state").equals("free"));
                t.sim().changeMedia(id, MediaState.MEDIA_PRESENT);
            }
        }
    }

    @AfterAll
    void stop() {
        pool.shutdownNow();
        started.forEach(TestService::close);
    }

    // ------------------------------------------------------------------------------------------------ counts

    /**
     * One session of node-a asks for any of {node-b/sim-0, node-c/sim-0} again and again. "A member this session
     * already holds grants it at once (one more count)" on that node, while the other node's free drive may win the
     * race: whichever wins, the counts answered per recorder must go 1, 2, 3... with nothing skipped, each node's own
     * API must show exactly the answered count, and every losing grant must be given back. Named remote acquires and
     * releases mixed in must continue the same counts, and releasing them all leaves both drives free.
     */
    @Test
    @Order(1)
    void repeatedPoolAcquiresOfOneSessionKeepExactCountsOnEveryNode() {
        TestService.Session s = open(a, "Repeater");
        JsonObject body = new JsonObject().put("recorders", new JsonArray().add("node-b/sim-0").add("node-c/sim-0"))
                .put("waitMillis", 5_000);
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 8; i++) {
            TestService.Reply r = acquireAny(a, s, body);
            assertThat(r.status()).as("acquire-any %d: %s", i, r.body()).isEqualTo(200);
            String won = r.json().getString("recorder");
            int expected = counts.merge(won, 1, Integer::sum);
            assertThat(r.json().getInteger("lockCount")).as("count answered for %s at round %d (counts %s)", won, i,
                    counts).isEqualTo(expected);
            if (i % 3 == 2) {
                TestService.Reply named = remote(a, s, won, "acquire", 0);
                assertThat(named.status()).as(named.body()).isEqualTo(200);
                assertThat(named.json().getInteger("lockCount")).isEqualTo(counts.merge(won, 1, Integer::sum));
            }
            // every node's own API agrees, once the racing grant of the other drive was given back
            for (String rec : List.of("node-b/sim-0", "node-c/sim-0")) {
                TestService owner = node(rec);
                int n = counts.getOrDefault(rec, 0);
                await(() -> rec + " count " + n + " after round: " + owner.lock("sim-0") + "; answered " + counts,
                        () -> lockCount(owner, "sim-0") == n);
            }
        }
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            for (int left = e.getValue() - 1; left >= 0; left--) {
                TestService.Reply r = remote(a, s, e.getKey(), "release", 0);
                assertThat(r.status()).as(r.body()).isEqualTo(200);
                assertThat(r.json().getInteger("lockCount")).isEqualTo(left);
            }
            remote(a, s, e.getKey(), "release", 0).problem(409, "HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)");
        }
    }

    /**
     * Six pool requests of one session of node-a at once, for any of {node-b/sim-0, node-c/sim-0}: all are the same
     * client, so every one is granted (a drive the session holds grants it at once, one more count), and each node's
     * own API then shows exactly as many counts as grants named it (racing grants given back); releasing them all
     * frees both drives.
     */
    @Test
    @Order(2)
    void parallelPoolRequestsOfOneSessionHoldOneCountPerGrant() throws Exception {
        parallelPoolRequests(false);
    }

    /**
     * A documented limit now (docs/fleet.md, "Any free drive of the fleet": with parallel pool requests of one session,
     * a racing grant given back after another request's answer lowers the count that answer named), kept tagged to
     * measure it. It was found as: docs/fleet.md: "The first grant wins: the answer names the recorder
     * ({@code node-c/sim-1}) and the session's count there"; remote holds: "counts, re-entrance and the grant order are B's agent's, exactly". Six
     * parallel pool requests of one session for any of {node-b/sim-0, node-c/sim-0}: the counts held end exact (one
     * per grant, {@link #parallelPoolRequestsOfOneSessionHoldOneCountPerGrant}), but the {@code lockCount} answers are
     * not the session's counts (4 of 5 runs; 6 of the 12 rounds those runs played; the run without it had all its rounds
     * granted on one node, answered 1..6 exactly). A fifth run, round 1: {@code node-c/sim-0} 5 for its one grant,
     * {@code node-b/sim-0} 6, 1, 4, 3, 2 while node-b showed count 5. A third run, all three rounds: {@code node-c/sim-0} 6, 4, 5 for
     * three grants, {@code node-b/sim-0} 2, 1, 3. Run 1, round 2 of 3: answers {@code node-b/sim-0} 2, 1, 3, 6 and
     * {@code node-c/sim-0} 4, 5, while node-b then showed count 4 (four grants): a count of 6 never belonged to the
     * session's granted requests, and node-c answered 4 and 5 for its two grants. Run 2, round 0: {@code node-c/sim-0}
     * 4, 2, 3, 5 and {@code node-b/sim-0} 1, 2, while node-c's API showed count 4 (no answer said 1). The answered count apparently
     * includes racing grants of the session's other requests that are given back afterwards, so a client that trusts
     * {@code lockCount} (e.g. to know how many releases it owes, as with IMAPI2's counts) is misled. Sequential
     * requests (each awaited) are answered exactly ({@link #repeatedPoolAcquiresOfOneSessionKeepExactCountsOnEveryNode}).
     */
    @Test
    @Tag("finding")
    @Order(2)
    void parallelPoolRequestsOfOneSessionAreAnsweredTheirCounts() throws Exception {
        parallelPoolRequests(true);
    }

    private void parallelPoolRequests(boolean checkAnsweredCounts) throws Exception {
        for (int round = 0; round < 3; round++) {
            TestService.Session s = open(a, "Parallel pool " + round);
            JsonObject body = new JsonObject().put("recorders", new JsonArray().add("node-b/sim-0")
                    .add("node-c/sim-0")).put("waitMillis", 10_000);
            List<CompletableFuture<TestService.Reply>> asks = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                asks.add(async(() -> acquireAny(a, s, body)));
            }
            Map<String, List<Integer>> answered = new HashMap<>();
            for (CompletableFuture<TestService.Reply> f : asks) {
                TestService.Reply r = get(f, 30);
                assertThat(r.status()).as("round %d: %s", round, r.body()).isEqualTo(200);
                answered.computeIfAbsent(r.json().getString("recorder"), k -> new ArrayList<>())
                        .add(r.json().getInteger("lockCount"));
            }
            for (String rec : List.of("node-b/sim-0", "node-c/sim-0")) {
                List<Integer> counts = answered.getOrDefault(rec, List.of());
                int n = counts.size();
                int rr = round;
                await(() -> "round " + rr + ": " + rec + " shows count " + n + " (answered " + answered + "): "
                        + node(rec).lock("sim-0"), () -> lockCount(node(rec), "sim-0") == n);
                if (checkAnsweredCounts) {
                    assertThat(counts).as("round %d: counts answered for %s (all: %s)", round, rec, answered)
                            .containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.rangeClosed(1, n)
                                    .boxed().toList());
                }
            }
            System.out.println("parallel pool round " + round + ": answered " + answered);
            for (String rec : List.of("node-b/sim-0", "node-c/sim-0")) {
                for (int left = answered.getOrDefault(rec, List.of()).size() - 1; left >= 0; left--) {
                    assertThat(remote(a, s, rec, "release", 0).json().getInteger("lockCount")).isEqualTo(left);
                }
            }
        }
    }

    /**
     * "A fleet pool request holds one place in each of its node's FIFOs of the pool, like a local pool request":
     * node-b's sim-0 is held; a local client of node-b queues, then node-a's pool request for it, then another local
     * client. The drive goes to them in exactly that order.
     */
    @Test
    @Order(2)
    void aFleetPoolRequestTakesItsPlaceInTheOwningNodesFifo() throws Exception {
        TestService.Session holder = open(b, "Fifo holder");
        assertThat(b.acquire(holder, "sim-0").status()).isEqualTo(200);
        TestService.Session first = open(b, "Fifo first");
        TestService.Session fleet = open(a, "Fifo fleet");
        TestService.Session last = open(b, "Fifo last");
        CompletableFuture<TestService.Reply> w1 = async(() -> b.acquire(first, "sim-0",
                new JsonObject().put("waitMillis", 30_000)));
        await("first queued", () -> b.service.agent().statistics().waiting() == 1);
        CompletableFuture<TestService.Reply> w2 = async(() -> acquireAny(a, fleet, new JsonObject()
                .put("recorders", new JsonArray().add("node-b/sim-0")).put("waitMillis", 30_000)));
        await("fleet pool queued", () -> b.service.agent().statistics().waiting() == 2);
        CompletableFuture<TestService.Reply> w3 = async(() -> b.acquire(last, "sim-0",
                new JsonObject().put("waitMillis", 30_000)));
        await("last queued", () -> b.service.agent().statistics().waiting() == 3);
        assertThat(b.release(holder, "sim-0").status()).isEqualTo(200);
        assertThat(get(w1, 20).status()).isEqualTo(200);
        assertThat(b.lock("sim-0").getString("owner")).isEqualTo("Fifo first");
        assertThat(w2.isDone() || w3.isDone()).as("nobody else granted yet").isFalse();
        assertThat(b.release(first, "sim-0").status()).isEqualTo(200);
        TestService.Reply viaFleet = get(w2, 20);
        assertThat(viaFleet.status()).as(viaFleet.body()).isEqualTo(200);
        assertThat(b.lock("sim-0").getString("owner")).isEqualTo("node-a: Fifo fleet");
        assertThat(w3.isDone()).as("the later local client not granted yet").isFalse();
        assertThat(remote(a, fleet, "node-b/sim-0", "release", 0).json().getInteger("lockCount")).isZero();
        assertThat(get(w3, 20).status()).isEqualTo(200);
        assertThat(b.lock("sim-0").getString("owner")).isEqualTo("Fifo last");
        assertThat(b.release(last, "sim-0").status()).isEqualTo(200);
    }

    /**
     * A pool naming node-a's own drive, asked on node-a: "node A's own drive is then held by a session of its agent
     * named {@code node-a: <client>}", released through the fleet release; a local client of node-a meanwhile is
     * refused with 423 naming that holder.
     */
    @Test
    @Order(2)
    void aPoolOfTheRequestingNodesOwnDriveIsHeldAsARemoteHold() {
        TestService.Session s = open(a, "Own");
        TestService.Reply r = acquireAny(a, s, new JsonObject().put("recorders", new JsonArray().add("node-a/sim-2"))
                .put("waitMillis", 0));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().getString("recorder")).isEqualTo("node-a/sim-2");
        assertThat(a.lock("sim-2").getString("owner")).isEqualTo("node-a: Own");
        TestService.Session local = open(a, "Local");
        JsonObject refused = a.acquire(local, "sim-2", new JsonObject().put("waitMillis", 0))
                .problem(423, "E_IMAPI_RECORDER_LOCKED");
        assertThat(refused.encode()).contains("node-a: Own");
        // the session's plain local release is not the way: the hold belongs to the remote session "node-a: Own"
        TestService.Reply plain = a.release(s, "sim-2");
        assertThat(plain.status()).as(plain.body()).isEqualTo(409);
        assertThat(a.lock("sim-2").getString("owner")).isEqualTo("node-a: Own");
        assertThat(remote(a, s, "node-a/sim-2", "release", 0).json().getInteger("lockCount")).isZero();
        assertThat(a.lock("sim-2").getString("state")).isEqualTo("free");
    }

    // ------------------------------------------------------------------------------------------------ media

    /**
     * The only drive whose medium matches is held on node-b; every other drive of the fleet is free but has no
     * medium. A pool request with a medium condition and a short wait ends in 504 (the wait ran out); one with a
     * long wait waits on node-b alone and is granted node-b's drive when its holder releases; once that medium is
     * gone, 409.
     */
    @Test
    @Order(3)
    void theOnlyMatchingDriveIsWaitedForWhileItIsHeld() throws Exception {
        TestService.Session holder = onlyMatchingDriveHeldOnNodeB();
        TestService.Session s = open(a, "Medium");
        acquireAny(a, s, new JsonObject().put("medium", BLANK).put("waitMillis", 700))
                .problem(504, "HRESULT_FROM_WIN32(ERROR_TIMEOUT)");
        CompletableFuture<TestService.Reply> waiting = async(() -> acquireAny(a, s,
                new JsonObject().put("medium", BLANK).put("waitMillis", 20_000)));
        await("the medium pool waits on node-b", () -> b.service.agent().statistics().waiting() == 1);
        assertThat(b.release(holder, "sim-1").status()).isEqualTo(200);
        TestService.Reply got = get(waiting, 25);
        assertThat(got.status()).as(got.body()).isEqualTo(200);
        assertThat(got.json().getString("recorder")).isEqualTo("node-b/sim-1");
        assertThat(remote(a, s, "node-b/sim-1", "release", 0).json().getInteger("lockCount")).isZero();
        b.sim().changeMedia(RecorderId.of("sim-1"), MediaState.NO_MEDIA);
        acquireAny(a, s, new JsonObject().put("medium", BLANK).put("waitMillis", 0))
                .problem(409, "E_IMAPI_DF2DATA_MEDIA_IS_NOT_SUPPORTED");
    }

    /**
     * Was a finding, fixed in the agent's pool (a request that may not wait now fails locked, naming the holder, when a
     * recorder with a matching medium is held: {@code PoolMediumTests}). docs/fleet.md ("Any free drive of the fleet",
     * Failures): none of the nodes granted within
     * {@code waitMillis} → "the most telling of their answers ({@code 423 recorder-locked} naming a holder when
     * {@code waitMillis} is 0, {@code 504} after the wait; {@code 409} when no recorder holds a matching medium)".
     * Here node-b's sim-1 holds a matching medium (the same request with a 700 ms wait answers 504, and with a long
     * wait is granted sim-1 when it frees, {@link #theOnlyMatchingDriveIsWaitedForWhileItIsHeld}), but a local client
     * of node-b holds it. Observed with {@code waitMillis} 0 (2 of 2 runs): the fleet answers {@code 409
     * media-not-writable} "no recorder of the pool (any recorder with a writable medium of at least 1 bytes free)
     * holds a matching medium", which is not true, instead of 423 naming "Blank holder"; a client is told to change
     * discs when it should wait or retry. node-b's own local {@code POST /api/v1/recorders/acquire-any} with the same
     * body answers the same 409 (printed by the test), so the cause is likely the local pool acquire's fail-fast
     * path, which the fleet's answer passes on.
     */
    @Test
    @Order(3)
    void aFailFastPoolWhoseOnlyMatchingDriveIsHeldIsLockedNotMediumless() {
        TestService.Session holder = onlyMatchingDriveHeldOnNodeB();
        TestService.Session localOnB = open(b, "Local medium");
        TestService.Reply local = b.post("/api/v1/recorders/acquire-any", new JsonObject().put("sessionId",
                localOnB.id()).put("medium", BLANK).put("waitMillis", 0), "X-Session-Token", localOnB.token());
        TestService.Session s = open(a, "Medium fail-fast");
        TestService.Reply fleet = acquireAny(a, s, new JsonObject().put("medium", BLANK).put("waitMillis", 0));
        System.out.println("fail-fast medium pool, only matching drive held: node-b's local acquire-any answers "
                + local.status() + " " + local.body() + "; the fleet's answers " + fleet.status() + " " + fleet.body());
        JsonObject locked = fleet.problem(423, "E_IMAPI_RECORDER_LOCKED");
        assertThat(locked.encode()).contains("Blank holder");
        assertThat(b.release(holder, "sim-1").status()).isEqualTo(200);
    }

    private static final JsonObject BLANK = new JsonObject().put("writable", true).put("minFreeBytes", 1);

    /** Takes every medium out but node-b's sim-1, which a local client of node-b then holds; returns its session. */
    private TestService.Session onlyMatchingDriveHeldOnNodeB() {
        for (TestService t : started) {
            for (RecorderId id : t.sim().recorders()) {
                if (!(t == b && id.value().equals("sim-1"))) {
                    t.sim().changeMedia(id, MediaState.NO_MEDIA);
                }
            }
        }
        TestService.Session holder = open(b, "Blank holder");
        assertThat(b.acquire(holder, "sim-1").status()).isEqualTo(200);
        return holder;
    }

    // ------------------------------------------------------------------------------------------------ races

    /**
     * {@code waitMillis} 0 on a pool of three free drives on three nodes (node-a's own included): each round exactly
     * one of them ends held (by the requester, count 1), the two racing grants given back.
     */
    @Test
    @Order(4)
    void failFastPoolsOnThreeFreeNodesLeaveExactlyOneHeld() {
        TestService.Session s = open(a, "FailFast");
        JsonObject body = new JsonObject().put("recorders", new JsonArray().add("node-a/sim-1").add("node-b/sim-1")
                .add("node-c/sim-1")).put("waitMillis", 0);
        Map<String, Integer> wins = new HashMap<>();
        for (int round = 0; round < 10; round++) {
            TestService.Reply r = acquireAny(a, s, body);
            assertThat(r.status()).as("round %d: %s", round, r.body()).isEqualTo(200);
            String won = r.json().getString("recorder");
            wins.merge(won.substring(0, 6), 1, Integer::sum);
            assertThat(r.json().getInteger("lockCount")).isEqualTo(1);
            int rr = round;
            await(() -> "round " + rr + ": only " + won + " held: " + states("sim-1"),
                    () -> heldCount("sim-1") == 1 && lockCount(node(won), "sim-1") == 1);
            assertThat(remote(a, s, won, "release", 0).json().getInteger("lockCount")).isZero();
        }
        System.out.println("failFast pool winners per node: " + wins);
    }

    /**
     * Six clients (four sessions of node-a, two of node-b, each asking its own node) compete for a pool of two drives
     * on two nodes, eight rounds each, holding each grant briefly. Never two owners of one drive; every grant is a
     * count of 1 held by exactly the asking client ({@code node-x: <client>}) on the owning node; every request
     * answered; at the end every drive free and no waiter anywhere.
     */
    @Test
    @Order(5)
    void concurrentPoolRequestsFromTwoNodesNeverShareADrive() throws Exception {
        JsonArray recorders = new JsonArray().add("node-b/sim-2").add("node-c/sim-2");
        Map<String, String> holders = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        List<CompletableFuture<Integer>> clients = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            TestService via = i < 4 ? a : b;
            String viaName = i < 4 ? "node-a" : "node-b";
            String name = "Competitor" + i;
            TestService.Session s = open(via, name);
            Random random = new Random(i);
            clients.add(CompletableFuture.supplyAsync(() -> {
                int grants = 0;
                for (int round = 0; round < 8; round++) {
                    TestService.Reply r = acquireAny(via, s, new JsonObject().put("recorders", recorders)
                            .put("waitMillis", 30_000));
                    if (r.status() != 200) {
                        errors.add(name + " round " + round + ": " + r.status() + " " + r.body());
                        continue;
                    }
                    grants++;
                    String won = r.json().getString("recorder");
                    String before = holders.putIfAbsent(won, name);
                    if (before != null) {
                        errors.add(name + " granted " + won + " held by " + before);
                    }
                    if (r.json().getInteger("lockCount") != 1) {
                        errors.add(name + " got count " + r.json().getInteger("lockCount") + " on " + won);
                    }
                    JsonObject lock = node(won).lock("sim-2");
                    if (!(viaName + ": " + name).equals(lock.getString("owner")) || lock.getInteger("count") != 1) {
                        errors.add(name + " granted " + won + " but its node shows " + lock.encode());
                    }
                    sleepQuietly(random.nextInt(30));
                    holders.remove(won, name);
                    TestService.Reply released = remote(via, s, won, "release", 0);
                    if (released.status() != 200 || released.json().getInteger("lockCount") != 0) {
                        errors.add(name + " release of " + won + ": " + released.body());
                    }
                }
                return grants;
            }, pool));
        }
        int total = 0;
        for (CompletableFuture<Integer> f : clients) {
            total += f.get(180, TimeUnit.SECONDS);
        }
        assertThat(errors).isEmpty();
        assertThat(total).isEqualTo(48);
    }

    /**
     * A client of node-a waits for any of two drives (held by local clients of node-b and node-c) over a raw
     * connection and hangs up at a random moment (0-20 ms) around node-b's holder releasing. Docs: the owning nodes
     * stop waiting for a client that left; a grant answered to a client that has just hung up is given back; one that
     * hangs up while its answer is written may stay with its session "until released or the session ends". So: no
     * waiter left on any node, at most one drive held by the departed client, and after its session is deleted node-b's
     * drive is free (node-c's local holder then releases and everything is free).
     */
    @Test
    @Order(6)
    void clientsHangingUpAroundTheGrantLeaveNothingOnceTheirSessionEnds() throws Exception {
        departures(false, 8);
    }

    /** As the hang-up test, but the client deletes its session at a random moment around node-b's release. */
    @Test
    @Order(7)
    void sessionsClosedAroundTheGrantLeaveNothing() throws Exception {
        departures(true, 8);
    }

    private void departures(boolean deleteSession, int rounds) throws Exception {
        TestService.Session onB = open(b, "Keeper B");
        TestService.Session onC = open(c, "Keeper C");
        Random random = new Random();
        int keptBySession = 0;
        int keptAfterLeaving = 0;
        List<String> kept = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            assertThat(b.acquire(onB, "sim-1").status()).isEqualTo(200);
            assertThat(c.acquire(onC, "sim-1").status()).isEqualTo(200);
            String name = (deleteSession ? "Closer" : "Hanger") + round;
            TestService.Session s = open(a, name);
            Socket socket = rawAcquireAny(s, new JsonArray().add("node-b/sim-1").add("node-c/sim-1"), 20_000);
            await("queued on B and C", () -> b.service.agent().statistics().waiting() == 1
                    && c.service.agent().statistics().waiting() == 1);
            // even rounds: the client leaves first, then node-b's holder releases 0-10 ms later; odd rounds: the
            // holder releases first and the client leaves 0-20 ms later (it may have been answered by then)
            boolean leavesFirst = round % 2 == 0;
            CompletableFuture<TestService.Reply> release = null;
            if (!leavesFirst) {
                release = async(() -> b.release(onB, "sim-1"));
                sleepQuietly(random.nextInt(20));
            }
            if (deleteSession) {
                TestService.Reply deleted = a.send("DELETE", "/api/v1/sessions/" + s.id(), null, "X-Session-Token",
                        s.token());
                assertThat(deleted.status()).as(deleted.body()).isEqualTo(204);
            }
            boolean answeredBeforeLeaving = socket.getInputStream().available() > 0;
            socket.close();
            if (leavesFirst) {
                sleepQuietly(random.nextInt(10));
                release = async(() -> b.release(onB, "sim-1"));
            }
            assertThat(get(release, 20).status()).isEqualTo(200);
            int r = round;
            await(() -> "round " + r + ": no waiter on B and C (" + b.service.agent().statistics().waiting() + ", "
                    + c.service.agent().statistics().waiting() + ")",
                    () -> b.service.agent().statistics().waiting() == 0
                            && c.service.agent().statistics().waiting() == 0);
            // node-c's drive still belongs to its local keeper: the departed client never got it
            assertThat(c.lock("sim-1").getString("owner")).isEqualTo("Keeper C");
            assertThat(c.lock("sim-1").getInteger("count")).isEqualTo(1);
            sleepQuietly(1_000);
            JsonObject onNodeB = b.lock("sim-1");
            if (onNodeB.getString("state").equals("held")) {
                assertThat(onNodeB.getString("owner")).as("round %d", round).isEqualTo("node-a: " + name);
                assertThat(onNodeB.getInteger("count")).as("round %d", round).isEqualTo(1);
                keptBySession++;
                kept.add("round " + round + (leavesFirst ? " (left before the release)" : " (left 0-20 ms after it)")
                        + (answeredBeforeLeaving ? ", answered before it left" : ", no answer before it left"));
                if (leavesFirst) {
                    keptAfterLeaving++;
                }
                if (!deleteSession) {
                    a.send("DELETE", "/api/v1/sessions/" + s.id(), null, "X-Session-Token", s.token());
                }
            }
            await(() -> "round " + r + ": node-b's sim-1 free once " + name + "'s session ended: " + b.lock("sim-1"),
                    () -> b.lock("sim-1").getString("state").equals("free"));
            assertThat(c.release(onC, "sim-1").json().getInteger("lockCount")).isZero();
            if (!deleteSession) {
                a.send("DELETE", "/api/v1/sessions/" + s.id(), null, "X-Session-Token", s.token());
            }
        }
        System.out.println((deleteSession ? "session closes" : "hang-ups") + ": " + keptBySession + " of " + rounds
                + " rounds left node-b's drive with the departed client's session until it ended: " + kept);
        // a client that left before the drive freed was never answered: its grant must be given back at once
        assertThat(keptAfterLeaving).as("rounds whose client left before the release yet kept the drive: %s", kept)
                .isZero();
        if (deleteSession) {
            // a closed session's count must never be kept: it was closed before or while the grant came
            assertThat(keptBySession).as("rounds whose drive stayed with the closed session 1 s after").isZero();
        }
    }

    // ------------------------------------------------------------------------------------------------ bad input

    /**
     * Malformed pools and bodies are refused like a local acquire-any refuses them (400), never a 5xx; tokens are
     * checked as for a local acquire; a pool mixing an unknown node with a known one is served by the known one (404
     * only "when no reachable node has a recorder of the pool").
     */
    @Test
    @Order(8)
    void badPoolsAndTokensAreRefusedAndAMixedPoolIsServed() {
        TestService.Session s = open(a, "Bad");
        TestService.Session other = open(a, "Other");
        List<JsonObject> bad = List.of(
                new JsonObject().put("recorders", new JsonArray().add(1)),
                new JsonObject().put("recorders", new JsonArray().addNull()),
                new JsonObject().put("recorders", new JsonArray().add("node-b//sim-0")),
                new JsonObject().put("recorders", new JsonArray().add("node-b/sim-0/x")),
                new JsonObject().put("recorders", new JsonArray().add(" /sim-0")),
                new JsonObject().put("waitMillis", -1),
                new JsonObject().put("waitMillis", "soon"),
                new JsonObject().put("bogus", true),
                new JsonObject().put("medium", "blank"),
                new JsonObject().put("medium", new JsonObject().put("writable", true).put("minFreeBytes", -1)));
        List<String> wrong = new ArrayList<>();
        for (JsonObject body : bad) {
            TestService.Reply r = acquireAny(a, s, body);
            if (r.status() < 400 || r.status() >= 500 || !r.contentType().equals("application/problem+json")) {
                wrong.add(body.encode() + " -> " + r.status() + " " + r.body());
            }
        }
        assertThat(wrong).as("malformed bodies not refused with a 4xx problem").isEmpty();
        TestService.Reply foreign = a.post("/api/v1/fleet/recorders/acquire-any",
                new JsonObject().put("sessionId", s.id()), "X-Session-Token", other.token());
        foreign.problem(403, "E_ACCESSDENIED");
        TestService.Reply unknown = a.post("/api/v1/fleet/recorders/acquire-any",
                new JsonObject().put("sessionId", "0".repeat(32)), "X-Session-Token", s.token());
        unknown.problem(404, "HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)");
        TestService.Session onB = open(b, "OnB");
        TestService.Reply crossNode = a.post("/api/v1/fleet/recorders/acquire-any",
                new JsonObject().put("sessionId", onB.id()), "X-Session-Token", onB.token());
        assertThat(crossNode.status()).as(crossNode.body()).isIn(403, 404);
        // nothing above took any drive
        assertThat(states("sim-0")).doesNotContain("held");
        TestService.Reply mixed = acquireAny(a, s, new JsonObject().put("recorders", new JsonArray()
                .add("node-x/sim-0").add("node-b/sim-0")).put("waitMillis", 0));
        assertThat(mixed.status()).as(mixed.body()).isEqualTo(200);
        assertThat(mixed.json().getString("recorder")).isEqualTo("node-b/sim-0");
        assertThat(remote(a, s, "node-b/sim-0", "release", 0).json().getInteger("lockCount")).isZero();
        TestService.Reply twice = acquireAny(a, s, new JsonObject().put("recorders", new JsonArray()
                .add("node-c/sim-0").add("node-c/sim-0")).put("waitMillis", 0));
        assertThat(twice.status()).as(twice.body()).isIn(200, 400);
        if (twice.status() == 200) {
            assertThat(twice.json().getInteger("lockCount")).isEqualTo(1);
            assertThat(c.lock("sim-0").getInteger("count")).isEqualTo(1);
            assertThat(remote(a, s, "node-c/sim-0", "release", 0).json().getInteger("lockCount")).isZero();
        }
    }

    // ------------------------------------------------------------------------------------------------ event stream

    /**
     * node-a's fleet stream while node-b and node-c change: the first event is a snapshot; per node the sequence never
     * goes down; every hold that stays for at least two heartbeats shows as a {@code lock} event with its owner; and
     * once everything is released and three heartbeats passed, the last lock state the stream shows for every
     * recorder is the one its node's own API shows (free).
     */
    @Test
    @Order(9)
    void theStreamShowsEveryLastingHoldAndEndsWhereTheNodesAre() throws Exception {
        try (SseClient sse = SseClient.connect(a.http, a.base + "/api/v1/fleet/events")) {
            assertThat(sse.status).isEqualTo(200);
            Frame first = sse.next();
            assertThat(first.event()).isEqualTo("snapshot");
            Map<String, String> lastState = new HashMap<>();
            Map<String, String> lastOwner = new HashMap<>();
            for (Object o : first.data().getJsonObject("view").getJsonArray("recorders")) {
                JsonObject r = (JsonObject) o;
                lastState.put(r.getString("id"), r.getJsonObject("lock").getString("state"));
            }
            assertThat(lastState).hasSize(9);
            List<String> lasting = new ArrayList<>();
            Random random = new Random();
            for (int i = 0; i < 6; i++) {
                TestService t = i % 2 == 0 ? b : c;
                String rec = "sim-" + (i % 3);
                TestService.Session s = open(t, "Lasting" + i);
                assertThat(t.acquire(s, rec).status()).isEqualTo(200);
                // flickers on the other drives meanwhile (may or may not show)
                TestService.Session f = open(t, "Flicker" + i);
                for (int k = 0; k < 3; k++) {
                    String other = "sim-" + ((i + 1 + random.nextInt(2)) % 3);
                    if (t.acquire(f, other, new JsonObject().put("waitMillis", 0)).status() == 200) {
                        t.release(f, other);
                    }
                }
                sleepQuietly(HEARTBEAT.toMillis() * 2 + 100);
                assertThat(t.release(s, rec).status()).isEqualTo(200);
                lasting.add((t == b ? "node-b/" : "node-c/") + rec + " Lasting" + i);
            }
            sleepQuietly(HEARTBEAT.toMillis() * 3);
            List<Frame> frames = new ArrayList<>();
            frames.addAll(sse.pending());
            Map<String, Long> sequence = new HashMap<>();
            Map<String, String> incarnation = new HashMap<>();
            List<String> holdsSeen = new ArrayList<>();
            for (Frame fr : frames) {
                JsonObject d = fr.data();
                String node = d.getString("node");
                assertThat(node).as("%s", fr).isNotNull();
                String inc = String.valueOf(d.getValue("incarnation"));
                long seq = d.getLong("sequence");
                if (inc.equals(incarnation.get(node))) {
                    assertThat(seq).as("%s after sequence %s", fr, sequence.get(node))
                            .isGreaterThanOrEqualTo(sequence.get(node));
                }
                incarnation.put(node, inc);
                sequence.put(node, seq);
                if (fr.event().equals("lock")) {
                    JsonObject rec = d.getJsonObject("recorder");
                    JsonObject lock = rec.getJsonObject("lock");
                    String id = node + "/" + rec.getString("id");
                    lastState.put(id, lock.getString("state"));
                    lastOwner.put(id, lock.getString("owner"));
                    if (lock.getString("state").equals("held")) {
                        holdsSeen.add(id + " " + lock.getString("owner"));
                    }
                }
            }
            assertThat(holdsSeen).as("lock events: %s", frames.size()).containsAll(lasting);
            Map<String, String> truth = new HashMap<>();
            for (TestService t : started) {
                String n = t.service.fleet().node().orElseThrow().name();
                for (RecorderId id : t.sim().recorders()) {
                    truth.put(n + "/" + id.value(), t.lock(id.value()).getString("state"));
                }
            }
            assertThat(lastState).as("the stream's last lock states (last owners %s)", lastOwner).isEqualTo(truth);
        }
    }

    /** Sixteen subscribers of node-c's fleet stream each see a hold on node-b taken and given back, in that order. */
    @Test
    @Order(10)
    void manySubscribersEachSeeEveryLastingChange() throws Exception {
        List<SseClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) {
                SseClient sse = SseClient.connect(c.http, c.base + "/api/v1/fleet/events");
                clients.add(sse);
                assertThat(sse.status).isEqualTo(200);
                assertThat(sse.next().event()).isEqualTo("snapshot");
            }
            TestService.Session s = open(b, "Seen by all");
            assertThat(b.acquire(s, "sim-2").status()).isEqualTo(200);
            sleepQuietly(HEARTBEAT.toMillis() * 2);
            assertThat(b.release(s, "sim-2").status()).isEqualTo(200);
            for (SseClient sse : clients) {
                List<Frame> seen = new ArrayList<>();
                sse.awaitFrame(seen, f -> isLock(f, "node-b", "sim-2", "held")
                        && "Seen by all".equals(f.data().getJsonObject("recorder").getJsonObject("lock")
                        .getString("owner")));
                sse.awaitFrame(seen, f -> isLock(f, "node-b", "sim-2", "free"));
            }
        } finally {
            clients.forEach(SseClient::close);
        }
    }

    /**
     * A subscriber of node-a's fleet stream that reads nothing (a small receive buffer) while node-c's recorders come
     * and go by the hundred: "A client whose connection takes no more is cut off (told why in a comment) instead of
     * being buffered for" (node-a's stall timeout is 0.5 s here). It must be disconnected, having been sent far less
     * than what a reading subscriber received; the reading subscriber and node-a's API stay served.
     *
     * <p>Observed (6 runs): the reading subscriber received about 8.4 MB of events (about 305 cycles); the stalled
     * client, read only afterwards, got 2.85 MB (what the socket buffers held), then the comment "discagent: this client
     * fell behind the fleet's events; reconnect for a fresh snapshot" and the response's last chunk. Its TCP connection
     * stays open afterwards (HTTP/1.1 keep-alive; nothing more comes on it), unlike the local streams, whose docs add
     * that the connection is closed within a second; the fleet's docs do not say that.
     */
    @Test
    @Order(11)
    void aFleetStreamClientThatReadsNothingIsCutOff() throws Exception {
        try (SseClient reader = SseClient.connect(a.http, a.base + "/api/v1/fleet/events");
                Socket stalled = stalledFleetSse(a)) {
            assertThat(reader.next().event()).isEqualTo("snapshot");
            long received = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            int cycle = 0;
            while (received < 8L << 20 && System.nanoTime() < deadline) {
                // adding and removing in two bursts apart, or the stream may show neither
                for (int i = 0; i < 40; i++) {
                    c.sim().addRecorder("bulk-" + i);
                }
                sleepQuietly(60);
                for (int i = 0; i < 40; i++) {
                    c.sim().removeRecorder(RecorderId.of("bulk-" + i));
                }
                sleepQuietly(60);
                for (Frame f : reader.pending()) {
                    received += f.data().encode().length();
                }
                cycle++;
            }
            System.out.println("slow consumer: " + cycle + " cycles, the reading subscriber got " + received
                    + " bytes of events");
            stalled.setSoTimeout(5_000);
            InputStream in = stalled.getInputStream();
            byte[] buffer = new byte[65536];
            long read = 0;
            StringBuilder tail = new StringBuilder();
            StringBuilder all = new StringBuilder();
            boolean closed = false;
            long readDeadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            try {
                int n;
                while (System.nanoTime() < readDeadline && (n = in.read(buffer)) > 0) {
                    read += n;
                    tail.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                    all.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                    if (tail.length() > 4096) {
                        tail.delete(0, tail.length() - 4096);
                    }
                }
                closed = System.nanoTime() < readDeadline;
            } catch (SocketTimeoutException e) {
                closed = false;
            } catch (IOException e) {
                closed = true; // reset by the server
            }
            List<String> comments = new ArrayList<>();
            int at = 0;
            for (String line : all.toString().split("\n", -1)) {
                if (line.startsWith(":") && comments.size() < 10) {
                    comments.add("at byte " + at + " of " + all.length() + ": " + line);
                }
                at += line.length() + 1;
            }
            String end = all.substring(Math.max(0, all.length() - 160)).replace("\r", "\\r").replace("\n", "\\n");
            boolean responseEnded = all.toString().endsWith("\r\n0\r\n\r\n");
            System.out.println("slow consumer: read " + read + " bytes after the burst; closed " + closed
                    + "; response ended " + responseEnded + "; last bytes: " + end + "; comment lines " + comments
                    + "; tail: " + tail.substring(Math.max(0, tail.length() - 300)));
            // cut off: its response ended (the last chunk) or its connection closed, the last words a comment why
            assertThat(closed || responseEnded).as("the stalled client's response ended (read %d bytes, the reader"
                    + " got %d); last bytes %s", read, received, end).isTrue();
            assertThat(comments).as("comment lines").anyMatch(c -> c.contains("fell behind"));
            assertThat(all.substring(all.lastIndexOf("\n:"))).as("the comment is the last thing sent")
                    .doesNotContain("data:");
            assertThat(read).as("what was sent to the stalled client").isLessThan(received);
            // the reader is still served
            TestService.Session s = open(b, "After the cut");
            assertThat(b.acquire(s, "sim-0").status()).isEqualTo(200);
            reader.awaitFrame(new ArrayList<>(), f -> isLock(f, "node-b", "sim-0", "held"));
            assertThat(b.release(s, "sim-0").status()).isEqualTo(200);
            assertThat(a.get("/api/v1/fleet/recorders").status()).isEqualTo(200);
        }
    }

    // ------------------------------------------------------------------------------------------------ node loss

    /**
     * node-d joins, a client of node-a waits for any of {node-b/sim-0, node-d/sim-0} (both held locally), node-d
     * closes: the stream shows node-d {@code unreachable} with a reason; node-b must still grant the waiter when its
     * holder releases; a second waiter on node-d alone is answered within its wait plus 10 s (not 200); afterwards a
     * pool of node-d's drives alone is 404 (no reachable node has a recorder of the pool).
     */
    @Test
    @Order(12)
    void aNodeLeavingWhilePoolRequestsWaitOnItDoesNotStopTheOthers() throws Exception {
        TestService d = start(FleetSupport.member("node-d", ports, 3, secret, cfg -> cfg
                .agent(o -> o.backendProperty("simulated.recorders", "1"))));
        for (TestService t : List.of(a, b, d)) {
            FleetSupport.awaitView(t, v -> reachable(v).size() == 4 && v.recorders().size() == 10);
        }
        try (SseClient sse = SseClient.connect(a.http, a.base + "/api/v1/fleet/events")) {
            assertThat(sse.next().event()).isEqualTo("snapshot");
            TestService.Session onB = open(b, "Keeper B");
            TestService.Session onD = open(d, "Keeper D");
            assertThat(b.acquire(onB, "sim-0").status()).isEqualTo(200);
            assertThat(d.acquire(onD, "sim-0").status()).isEqualTo(200);
            TestService.Session both = open(a, "Both");
            TestService.Session onlyD = open(a, "Only D");
            CompletableFuture<TestService.Reply> waitBoth = async(() -> acquireAny(a, both, new JsonObject()
                    .put("recorders", new JsonArray().add("node-b/sim-0").add("node-d/sim-0"))
                    .put("waitMillis", 20_000)));
            long askedOnlyD = System.nanoTime();
            CompletableFuture<TestService.Reply> waitOnlyD = async(() -> acquireAny(a, onlyD, new JsonObject()
                    .put("recorders", new JsonArray().add("node-d/sim-0")).put("waitMillis", 8_000)));
            await("queued on B and D", () -> b.service.agent().statistics().waiting() == 1
                    && d.service.agent().statistics().waiting() == 2);
            started.remove(d);
            d.close();
            List<Frame> seen = new ArrayList<>();
            Frame gone = sse.awaitFrame(seen, f -> f.event().equals("unreachable")
                    && "node-d".equals(f.data().getString("node")));
            assertThat(gone.data().getString("reason")).isNotBlank();
            assertThat(b.release(onB, "sim-0").status()).isEqualTo(200);
            TestService.Reply granted = get(waitBoth, 25);
            assertThat(granted.status()).as(granted.body()).isEqualTo(200);
            assertThat(granted.json().getString("recorder")).isEqualTo("node-b/sim-0");
            assertThat(b.lock("sim-0").getString("owner")).isEqualTo("node-a: Both");
            TestService.Reply ended = get(waitOnlyD, 25);
            long tookMillis = Duration.ofNanos(System.nanoTime() - askedOnlyD).toMillis();
            assertThat(ended.status()).as(ended.body()).isNotEqualTo(200);
            assertThat(tookMillis).as("answered within the wait plus 10 s").isLessThan(18_000 + 2_000);
            assertThat(remote(a, both, "node-b/sim-0", "release", 0).json().getInteger("lockCount")).isZero();
            TestService.Reply none = acquireAny(a, onlyD, new JsonObject()
                    .put("recorders", new JsonArray().add("node-d/sim-0")).put("waitMillis", 0));
            none.problem(404, "HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)");
        } finally {
            if (started.remove(d)) {
                d.close();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** A session of {@code t} with a long lease, ended after the test. */
    private TestService.Session open(TestService t, String clientName) {
        TestService.Session s = t.openForMinutes(clientName);
        sessions.put(s, t);
        return s;
    }

    private TestService start(TestService t) {
        started.add(t);
        return t;
    }

    private TestService node(String qualified) {
        return switch (qualified.substring(0, qualified.indexOf('/'))) {
            case "node-a" -> a;
            case "node-b" -> b;
            case "node-c" -> c;
            default -> throw new AssertionError(qualified);
        };
    }

    private static int lockCount(TestService t, String recorder) {
        JsonObject lock = t.lock(recorder);
        return lock.getString("state").equals("free") ? 0 : lock.getInteger("count");
    }

    private List<String> states(String recorder) {
        List<String> states = new ArrayList<>();
        for (TestService t : List.of(a, b, c)) {
            states.add(t.lock(recorder).getString("state"));
        }
        return states;
    }

    private int heldCount(String recorder) {
        return (int) states(recorder).stream().filter("held"::equals).count();
    }

    private static TestService.Reply acquireAny(TestService via, TestService.Session s, JsonObject body) {
        return via.post("/api/v1/fleet/recorders/acquire-any", body.copy().put("sessionId", s.id()),
                "X-Session-Token", s.token());
    }

    private static TestService.Reply remote(TestService via, TestService.Session s, String target, String op,
            long waitMillis) {
        JsonObject body = new JsonObject().put("sessionId", s.id());
        if (op.equals("acquire")) {
            body.put("waitMillis", waitMillis);
        }
        return via.post("/api/v1/fleet/recorders/" + target + "/" + op, body, "X-Session-Token", s.token());
    }

    /** Sends a fleet acquire-any on a raw connection to node-a and returns the socket, to be closed mid-wait. */
    private Socket rawAcquireAny(TestService.Session s, JsonArray recorders, long waitMillis) throws IOException {
        URI uri = URI.create(a.base);
        Socket socket = new Socket(uri.getHost(), uri.getPort());
        byte[] body = new JsonObject().put("sessionId", s.id()).put("recorders", recorders)
                .put("waitMillis", waitMillis).encode().getBytes(StandardCharsets.UTF_8);
        String head = "POST /api/v1/fleet/recorders/acquire-any HTTP/1.1\r\nHost: " + uri.getHost() + ":"
                + uri.getPort() + "\r\nContent-Type: application/json\r\nX-Session-Token: " + s.token()
                + "\r\nContent-Length: " + body.length + "\r\n\r\n";
        OutputStream out = socket.getOutputStream();
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        return socket;
    }

    /** A fleet SSE request on a raw socket with a small receive buffer that the test does not read. */
    private static Socket stalledFleetSse(TestService t) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), t.service.port()));
        socket.getOutputStream().write(("GET /api/v1/fleet/events HTTP/1.1\r\nHost: localhost\r\nAccept: "
                + "text/event-stream\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        return socket;
    }

    private static boolean isLock(Frame f, String node, String recorder, String state) {
        return f.event().equals("lock") && node.equals(f.data().getString("node"))
                && recorder.equals(f.data().getJsonObject("recorder").getString("id"))
                && state.equals(f.data().getJsonObject("recorder").getJsonObject("lock").getString("state"));
    }


    private <T> CompletableFuture<T> async(Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, pool);
    }

    private static TestService.Reply get(CompletableFuture<TestService.Reply> f, int seconds) throws Exception {
        return f.get(seconds, TimeUnit.SECONDS);
    }

    /** A short, bounded pause of a test's own client (not of the code under test). */
    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A real, bounded wait (fleet messages cross Hazelcast's event bus). */
    private static void await(String what, BooleanSupplier condition) {
        await(() -> what, condition);
    }

    private static void await(Supplier<String> what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what.get() + ": not within 20 s");
            }
            Thread.onSpinWait();
        }
    }
}
