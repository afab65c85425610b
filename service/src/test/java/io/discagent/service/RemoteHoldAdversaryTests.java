package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;
import static io.discagent.service.FleetSupport.freePorts;
import static io.discagent.service.FleetSupport.secret;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Adversarial tests of the fleet's remote holds ({@code docs/fleet.md}, "Remote holds"), through the public HTTP API
 * only: node-a's clients acquire and release recorders of node-b. One fleet of two members (one JVM, loopback, free
 * ports) serves every test; each test uses recorders of its own on node-b (which has eleven). Every request must be
 * answered within its wait plus 10 s (the HTTP client gives up after that, failing the test). Real, bounded waits:
 * Hazelcast and the leases run on real time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RemoteHoldAdversaryTests {

    private static final Duration CONVERGE = Duration.ofSeconds(40);
    private static final Duration MAX_WAIT = Duration.ofSeconds(60);

    private final byte[] secret = secret();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<TestService> started = new ArrayList<>();
    private int[] ports;
    private TestService a;
    private TestService b;

    @BeforeAll
    void fleet() {
        ports = freePorts(3);
        a = member("node-a", 0, c -> c.maxWait(MAX_WAIT));
        b = member("node-b", 1, c -> c.agent(o -> o.backendProperty("simulated.recorders", "11")));
        awaitFleet(a, "node-b");
    }

    @AfterAll
    void stop() {
        pool.shutdownNow();
        for (TestService t : started) {
            t.close();
        }
    }

    // ------------------------------------------------------------------------------------------------ bad input

    @Test
    void badInputGetsTypedProblemsAndChangesNothingOnTheOwningNode() {
        TestService.Session s = a.openForMinutes("Bad");
        TestService.Session other = a.openForMinutes("Other");
        long sessionsOnB = b.service.agent().statistics().sessionsOpen();
        // unknown node
        remote(s, "node-z/sim-0", "acquire", 0).problem(404, "HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)");
        // unknown recorder on a known node
        remote(s, "node-b/sim-99", "acquire", 0).problem(404, "HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)");
        // malformed node names: a 4xx problem, never a 5xx, never a hang
        for (String node : List.of("node%20b", "..", "%2E%2E", "node-b%2Fsim-0", "x".repeat(300), "n%00de")) {
            TestService.Reply reply = remote(s, node + "/sim-0", "acquire", 0);
            assertThat(reply.status()).as("%s: %s", node, reply.body()).isBetween(400, 499);
            assertThat(reply.contentType()).as(node).isEqualTo("application/problem+json");
            assertThat(reply.json().getString("hresult")).as(node).matches("0x[0-9A-F]{8}");
        }
        // waitMillis above --max-wait, negative, of the wrong type
        remote(s, "node-b/sim-0", "acquire", MAX_WAIT.toMillis() + 1).problem(400, "E_INVALIDARG");
        remote(s, "node-b/sim-0", "acquire", -1).problem(400, "E_INVALIDARG");
        send(a, "/api/v1/fleet/recorders/node-b/sim-0/acquire",
                new JsonObject().put("sessionId", s.id()).put("waitMillis", "soon").encode(), s.token(), 0)
                .problem(400, "E_INVALIDARG");
        // unknown fields, as a local acquire refuses them; force/retry are "not used" for a remote acquire
        send(a, "/api/v1/fleet/recorders/node-b/sim-0/acquire",
                new JsonObject().put("sessionId", s.id()).put("bogus", 1).encode(), s.token(), 0)
                .problem(400, "E_INVALIDARG");
        // no body, not JSON
        send(a, "/api/v1/fleet/recorders/node-b/sim-0/acquire", "", s.token(), 0).problem(400, "E_INVALIDARG");
        send(a, "/api/v1/fleet/recorders/node-b/sim-0/acquire", "{", s.token(), 0).problem(400, "E_INVALIDARG");
        // missing token, another session's token, an unknown session: as for a local acquire
        TestService.Reply localNoToken = send(b, "/api/v1/recorders/sim-0/acquire",
                new JsonObject().put("sessionId", b.openForMinutes("L").id()).encode(), null, 0);
        TestService.Reply remoteNoToken = send(a, "/api/v1/fleet/recorders/node-b/sim-0/acquire",
                new JsonObject().put("sessionId", s.id()).encode(), null, 0);
        assertThat(remoteNoToken.status()).as(remoteNoToken.body()).isEqualTo(localNoToken.status());
        assertThat(remoteNoToken.json().getString("type")).isEqualTo(localNoToken.json().getString("type"));
        send(a, "/api/v1/fleet/recorders/node-b/sim-0/acquire", new JsonObject().put("sessionId", s.id()).encode(),
                other.token(), 0).problem(403, "E_ACCESSDENIED");
        send(a, "/api/v1/fleet/recorders/node-b/sim-0/release", new JsonObject().put("sessionId", s.id()).encode(),
                other.token(), 0).problem(403, "E_ACCESSDENIED");
        send(a, "/api/v1/fleet/recorders/node-b/sim-0/acquire",
                new JsonObject().put("sessionId", "0".repeat(32)).encode(), s.token(), 0)
                .problem(404, "HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)");
        // a session of node-b is not a session of node-a
        TestService.Session onB = b.openForMinutes("OnB");
        TestService.Reply foreign = send(a, "/api/v1/fleet/recorders/node-b/sim-0/acquire",
                new JsonObject().put("sessionId", onB.id()).encode(), onB.token(), 0);
        assertThat(foreign.status()).as(foreign.body()).isIn(403, 404);
        // nothing of all that touched node-b's recorder
        assertThat(b.lock("sim-0").getString("state")).isEqualTo("free");
        // node-b may have opened remote sessions; none may hold anything
        assertThat(b.service.agent().statistics().sessionsOpen()).isLessThanOrEqualTo(sessionsOnB + 3);
    }

    /**
     * Was a finding, fixed (a release names an unknown node or recorder with 404, as a local one; deterministic, 4 of 4
     * runs before). A release of a recorder that does not exist on node-b ({@code node-b/sim-99}), or on a node that is
     * not in the fleet ({@code node-z/sim-0}), through node-a: a local release of an unknown recorder on node-b is 404
     * {@code no-such-recorder}, and docs/fleet.md says a node that no member registered gives "404 no-such-recorder"
     * (the acquire does). Observed: both remote releases answer 409 {@code lock-not-held} ("session ... holds nothing
     * on node-z"), without asking whether the node or recorder exists, so a client cannot tell a typo in the node or
     * recorder from a hold that was fenced. (The docs name 409 only for "the hold is gone (fenced)"; whether a release
     * on an unknown target must be 404 is not spelled out.)
     */
    @Test
    void aReleaseOnAnUnknownNodeOrRecorderIsANotFoundLikeALocalOne() {
        TestService.Session s = a.openForMinutes("BadRelease");
        TestService.Session l = b.openForMinutes("BadReleaseB");
        TestService.Reply local = b.release(l, "sim-99");
        TestService.Reply unknownRecorder = remote(s, "node-b/sim-99", "release", 0);
        TestService.Reply unknownNode = remote(s, "node-z/sim-0", "release", 0);
        assertThat(local.status()).as(local.body()).isEqualTo(404);
        assertThat(List.of(unknownRecorder.status(), unknownNode.status()))
                .as("remote releases: %s / %s", unknownRecorder.body(), unknownNode.body())
                .containsExactly(404, 404);
    }

    /**
     * Parallel first acquires of one session of node-a on one recorder of node-b: all are the same client, so all
     * must be granted (re-entrance) with the counts 1..n each once, and n parallel releases give n-1..0 each once.
     */
    @Test
    void parallelAcquiresOfOneSessionAreReentrantWithExactCounts() throws Exception {
        for (int round = 0; round < 5; round++) {
            TestService.Session s = a.openForMinutes("Parallel" + round);
            int n = 8;
            List<CompletableFuture<TestService.Reply>> acquires = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                acquires.add(async(() -> remote(s, "node-b/sim-5", "acquire", 5_000)));
            }
            List<Integer> counts = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            for (CompletableFuture<TestService.Reply> f : acquires) {
                TestService.Reply r = f.get(30, TimeUnit.SECONDS);
                if (r.status() == 200) {
                    counts.add(r.json().getInteger("lockCount"));
                } else {
                    failures.add(r.body());
                }
            }
            assertThat(failures).as("round %d", round).isEmpty();
            assertThat(counts).as("round %d", round).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6, 7, 8);
            assertThat(b.lock("sim-5").getInteger("count")).isEqualTo(n);
            List<CompletableFuture<TestService.Reply>> releases = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                releases.add(async(() -> remote(s, "node-b/sim-5", "release", 0)));
            }
            List<Integer> after = new ArrayList<>();
            for (CompletableFuture<TestService.Reply> f : releases) {
                TestService.Reply r = f.get(30, TimeUnit.SECONDS);
                assertThat(r.status()).as(r.body()).isEqualTo(200);
                after.add(r.json().getInteger("lockCount"));
            }
            assertThat(after).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7);
            assertThat(b.lock("sim-5").getString("state")).isEqualTo("free");
        }
    }

    /**
     * Was a finding, fixed (whether the client gave up and whether the grant is delivered are decided on the fleet's
     * loop, and a grant answered to a hung-up client is given back; racy before: 2 of 6 runs, round 6 and round 5 of
     * ten; the other four runs passed all ten rounds). node-a's client waits remotely for node-b's sim-8 over a raw
     * connection and hangs up at the moment node-b's holder releases. Docs: "a grant that arrives for a client that
     * left is given back" (fleet.md) and, for a local acquire, "A client that hangs up while waiting leaves the queue
     * (a grant that races with it is released)" (service.md). Observed: node-b showed {@code
     * {"state":"held","owner":"node-a: Departing6","count":1}} 10 s after the release (no grant counted as unclaimed or
     * dropped); the count had stayed with the client's session (still open on node-a): its own release answered 200 and
     * freed the drive. Without that release the drive stays held for as long as the session lives (its lease is renewed
     * by heartbeats; five minutes here), although the HTTP client that asked for it never got an answer.
     *
     * <p>Still open after the fix (1 leaking round of 10 in the first run after it, round 9): when the client hangs up
     * while the grant's answer is being written, the service cannot tell it from a client that read it (the write into
     * the socket succeeds before the connection's close is seen), so the count stays with the session until the
     * client releases it or the session ends (docs/fleet.md says so). A local acquire over HTTP should have the same
     * window (not tested here).
     */
    @Test
    @Tag("finding")
    void aGrantRacingWithTheHttpClientHangingUpNeverLeaksTheDrive() throws Exception {
        List<String> leaks = departureRace("sim-8", Departure.HANG_UP, 10);
        assertThat(leaks).as("rounds that left node-b's sim-8 held").isEmpty();
        assertThat(b.service.agent().statistics().waiting()).isZero();
    }

    /**
     * Was a finding, fixed (a session closed while its remote acquire waits closes the session that acquire opened on
     * the owning node when its answer comes; before: 8 of 8 runs leaked, in round 1, 0, 2, 0, 1, 1, 1 and 0 of ten).
     * node-a's client waits remotely for node-b's sim-9 (held by a local client of node-b); node-b's holder releases
     * while node-a's client deletes its session. Docs: "Closing node A's session ... closes every session it has on
     * other nodes: their counts are released there", and "a grant that arrives for a client that left is given back".
     * Observed: the DELETE answers 204, yet node-b shows {@code {"state":"held","owner":"node-a:
     * Departing0","count":1}} 10 s after the release and still 40 s after it, far beyond node-b's lease of a remote
     * session (twice the stale limit, 6 s here), with no waiter left and no grant counted as unclaimed or dropped;
     * node-b never logs that remote session as "not renewed: closed" (it does for the other remote sessions), so its
     * lease never ends; the client's own release answers 410 {@code session-closed}, so no client can free the drive.
     */
    @Test
    void aGrantRacingWithTheSessionClosingNeverLeaksTheDrive() throws Exception {
        List<String> leaks = departureRace("sim-9", Departure.CLOSE_SESSION_RACING, 10);
        assertThat(leaks).as("rounds that left node-b's sim-9 held").isEmpty();
        assertThat(b.service.agent().statistics().waiting()).isZero();
    }

    /**
     * Was a finding, fixed (as above; before: 5 of 6 runs leaked, in round 2, 0, 4, 0 and 0 of ten; one run passed all
     * ten). As {@link #aGrantRacingWithTheSessionClosingNeverLeaksTheDrive}, but node-b's holder releases only once
     * node-a answered the session's DELETE (204): nothing races on the client's side. Observed: node-b hands the drive
     * to the closed session's remote waiter ({@code "owner":"node-a: Departing4","count":1}) and keeps it held for 40 s
     * and more (the test's limit), beyond node-b's 6 s lease, with that remote session still open on node-b; the closed
     * session's release answers 410. The DELETE's 204 thus comes before the remote wait is withdrawn on node-b, and a
     * grant in that window is never given back. (When the test waits until node-b dropped the waiter before releasing,
     * as in {@link #closingTheRequestingSessionMidWaitLeavesNothingOnTheOwningNode}, nothing leaks.)
     */
    @Test
    void aReleaseRightAfterTheSessionClosedNeverLeaksTheDrive() throws Exception {
        List<String> leaks = departureRace("sim-10", Departure.CLOSE_SESSION_FIRST, 10);
        assertThat(leaks).as("rounds that left node-b's sim-10 held").isEmpty();
        assertThat(b.service.agent().statistics().waiting()).isZero();
    }

    /**
     * A session of node-a whose lease expires (no heartbeats) while it waits remotely; node-b's holder releases the
     * moment node-a answered the wait (the session is closed by then). The drive must end free every round: "a
     * crashed kiosk never leaves a drive locked".
     */
    @Test
    void aReleaseRightAfterTheLeaseExpiredNeverLeaksTheDrive() throws Exception {
        TestService.Session local = b.openForMinutes("Racer-lease");
        List<String> leaks = new ArrayList<>();
        for (int round = 0; round < 6; round++) {
            TestService.Reply took = b.acquire(local, "sim-3");
            assertThat(took.status()).as("round %d starts: %s; leaks so far %s", round, took.body(), leaks)
                    .isEqualTo(200);
            TestService.Session s = open(a, "Expiring" + round, 1_000);
            long waitingBefore = b.service.agent().statistics().waiting();
            CompletableFuture<TestService.Reply> wait = async(() -> remote(s, "node-b/sim-3", "acquire", 20_000));
            await("queued", () -> b.service.agent().statistics().waiting() == waitingBefore + 1);
            TestService.Reply ended = wait.get(20, TimeUnit.SECONDS);
            assertThat(b.release(local, "sim-3").status()).isEqualTo(200);
            if (!within(Duration.ofSeconds(10), () -> b.lock("sim-3").getString("state").equals("free"))) {
                JsonObject lock = b.lock("sim-3");
                boolean freedLater = within(Duration.ofSeconds(20),
                        () -> b.lock("sim-3").getString("state").equals("free"));
                leaks.add("round " + round + ": the wait ended " + ended.status() + " " + ended.json()
                        .getString("type") + "; node-b showed " + lock.encode() + " 10 s after the release; "
                        + (freedLater ? "freed within 30 s" : "still held 30 s after it"));
                if (!freedLater) {
                    break;
                }
            }
        }
        assertThat(leaks).as("rounds that left node-b's sim-3 held").isEmpty();
    }

    /**
     * Rounds of: a local client of node-b holds {@code recorder}; a client of node-a waits for it remotely over a raw
     * connection; node-b's holder releases while node-a's client leaves (deletes its session, or hangs up). Returns a
     * description of each round that left the drive held 10 s later (and how long it then stayed held, up to 40 s).
     */
    private List<String> departureRace(String recorder, Departure how, int rounds) throws Exception {
        TestService.Session local = b.openForMinutes("Racer-" + recorder);
        List<String> leaks = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            TestService.Reply took = b.acquire(local, recorder);
            assertThat(took.status()).as("round %d starts: %s; leaks so far %s", round, took.body(), leaks)
                    .isEqualTo(200);
            TestService.Session s = a.openForMinutes("Departing" + round);
            long waitingBefore = b.service.agent().statistics().waiting();
            Socket socket = rawAcquire(s, "node-b/" + recorder, 20_000);
            await("queued", () -> b.service.agent().statistics().waiting() == waitingBefore + 1);
            CompletableFuture<TestService.Reply> release;
            if (how == Departure.CLOSE_SESSION_FIRST) {
                assertThat(a.send("DELETE", "/api/v1/sessions/" + s.id(), null, "X-Session-Token", s.token())
                        .status()).isEqualTo(204);
                release = async(() -> b.release(local, recorder));
            } else {
                release = async(() -> b.release(local, recorder));
                if (how == Departure.CLOSE_SESSION_RACING) {
                    a.send("DELETE", "/api/v1/sessions/" + s.id(), null, "X-Session-Token", s.token());
                }
            }
            socket.close();
            assertThat(release.get(20, TimeUnit.SECONDS).status()).isEqualTo(200);
            long released = System.nanoTime();
            // free, and still free a second later: the drive shows free for a moment while it passes to a waiter
            if (!within(Duration.ofSeconds(10), () -> staysFree(recorder, Duration.ofSeconds(1)))) {
                JsonObject lock = b.lock(recorder);
                TestService.Reply own = remote(s, "node-b/" + recorder, "release", 0);
                boolean freedLater = within(Duration.ofSeconds(30),
                        () -> b.lock(recorder).getString("state").equals("free"));
                long heldMillis = Duration.ofNanos(System.nanoTime() - released).toMillis();
                io.discagent.agent.AgentStatistics st = b.service.agent().statistics();
                String stats = "; node-b: sessionsOpen=" + st.sessionsOpen() + " waiting=" + st.waiting()
                        + " grantsUnclaimedBeforeDelivery=" + st.grantsUnclaimedBeforeDelivery()
                        + " grantsDroppedInDelivery=" + st.grantsDroppedInDelivery()
                        + " grantsDroppedAfterDelivery=" + st.grantsDroppedAfterDelivery()
                        + " acquiresCancelled=" + st.acquiresCancelled();
                leaks.add("round " + round + " (session " + s.id() + ", released at " + java.time.Instant.now()
                        .minusMillis(heldMillis) + "): node-b showed " + lock.encode() + " 10 s after the release; the "
                        + "client's own release: " + own.status() + " " + own.json().getString("type") + "; "
                        + (freedLater ? "freed after " + heldMillis + " ms" : "still held after " + heldMillis
                        + " ms") + stats);
                if (!freedLater) {
                    break; // the drive stays held: no further round possible
                }
            }
        }
        return leaks;
    }

    /** Whether node-b's {@code recorder} is free now and at every poll during {@code window}. */
    private boolean staysFree(String recorder, Duration window) {
        long until = System.nanoTime() + window.toNanos();
        do {
            if (!b.lock(recorder).getString("state").equals("free")) {
                return false;
            }
        } while (System.nanoTime() < until);
        return true;
    }

    /** How node-a's client leaves in {@link #departureRace}. */
    private enum Departure {
        /** It hangs up its HTTP connection while node-b's holder releases. */
        HANG_UP,
        /** It deletes its session while node-b's holder releases. */
        CLOSE_SESSION_RACING,
        /** It deletes its session (204), then node-b's holder releases at once. */
        CLOSE_SESSION_FIRST
    }

    private static boolean within(Duration limit, BooleanSupplier condition) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.onSpinWait();
        }
        return condition.getAsBoolean();
    }

    // ------------------------------------------------------------------------------------------------ counts

    @Test
    void exactCountsAfterManyAcquiresAndReleasesAgreeWithTheOwningNode() {
        TestService.Session s = a.openForMinutes("Counter");
        int n = 12;
        for (int i = 1; i <= n; i++) {
            TestService.Reply r = remote(s, "node-b/sim-1", "acquire", 0);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.json().getInteger("lockCount")).isEqualTo(i);
            JsonObject lock = b.lock("sim-1");
            assertThat(lock.getInteger("count")).as("node-b's count after %d acquires", i).isEqualTo(i);
            assertThat(lock.getString("owner")).isEqualTo("node-a: Counter");
        }
        // node-a's fleet view agrees with node-b within a few heartbeats (a further count publishes no event)
        await("node-a's fleet view shows node-b/sim-1 with count " + n, () -> {
            for (Object o : a.get("/api/v1/fleet/recorders").json().getJsonArray("recorders")) {
                JsonObject r = (JsonObject) o;
                if (r.getString("id").equals("node-b/sim-1")) {
                    JsonObject lock = r.getJsonObject("lock");
                    return lock.getInteger("count") == n && "node-a: Counter".equals(lock.getString("owner"));
                }
            }
            return false;
        });
        JsonObject owner = b.get("/api/v1/recorders/sim-1/owner").json();
        assertThat(owner.getString("owner")).isEqualTo("node-a: Counter");
        for (int i = n - 1; i >= 0; i--) {
            TestService.Reply r = remote(s, "node-b/sim-1", "release", 0);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.json().getInteger("lockCount")).isEqualTo(i);
            JsonObject lock = b.lock("sim-1");
            assertThat(lock.getInteger("count")).as("node-b's count after a release to %d", i).isEqualTo(i);
        }
        assertThat(b.lock("sim-1").getString("state")).isEqualTo("free");
        remote(s, "node-b/sim-1", "release", 0).problem(409, "HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)");
        // and a fresh acquire after the count went to zero starts at 1 again
        assertThat(remote(s, "node-b/sim-1", "acquire", 0).json().getInteger("lockCount")).isEqualTo(1);
        assertThat(remote(s, "node-b/sim-1", "release", 0).json().getInteger("lockCount")).isZero();
    }

    @Test
    void anotherSessionOfTheSameNodeCannotReleaseAHoldItDoesNotOwn() {
        TestService.Session owner = a.openForMinutes("Owner");
        TestService.Session thief = a.openForMinutes("Thief");
        assertThat(remote(owner, "node-b/sim-2", "acquire", 0).status()).isEqualTo(200);
        assertThat(remote(owner, "node-b/sim-2", "acquire", 0).json().getInteger("lockCount")).isEqualTo(2);
        // the thief's release with its own session: it holds nothing there
        JsonObject refused = remote(thief, "node-b/sim-2", "release", 0)
                .problem(409, "HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)");
        // the thief with the owner's session id but its own token
        send(a, "/api/v1/fleet/recorders/node-b/sim-2/release",
                new JsonObject().put("sessionId", owner.id()).encode(), thief.token(), 0).problem(403, "E_ACCESSDENIED");
        // the thief cannot take it either, and is told who holds it
        JsonObject locked = remote(thief, "node-b/sim-2", "acquire", 0).problem(423, "E_IMAPI_RECORDER_LOCKED");
        assertThat(locked.getString("detail")).contains("Owner");
        assertThat(b.lock("sim-2").getInteger("count")).isEqualTo(2);
        assertThat(b.lock("sim-2").getString("owner")).isEqualTo("node-a: Owner");
        assertThat(refused.getInteger("status")).isEqualTo(409);
        assertThat(remote(owner, "node-b/sim-2", "release", 0).json().getInteger("lockCount")).isEqualTo(1);
        assertThat(remote(owner, "node-b/sim-2", "release", 0).json().getInteger("lockCount")).isZero();
        assertThat(b.lock("sim-2").getString("state")).isEqualTo("free");
    }

    // ------------------------------------------------------------------------------------------------ leaks

    /** A session of node-a whose lease ends (no heartbeats) gives back its remote holds and its remote waits. */
    @Test
    void anExpiredLeaseOnTheRequestingNodeEndsItsRemoteHoldsAndWaits() throws Exception {
        TestService.Session local = b.openForMinutes("LocalB");
        assertThat(b.acquire(local, "sim-4").status()).isEqualTo(200);
        TestService.Session shortLived = open(a, "Short", 1_500);
        assertThat(remote(shortLived, "node-b/sim-3", "acquire", 0).status()).isEqualTo(200);
        assertThat(remote(shortLived, "node-b/sim-3", "acquire", 0).json().getInteger("lockCount")).isEqualTo(2);
        long waitingBefore = b.service.agent().statistics().waiting();
        CompletableFuture<TestService.Reply> wait = async(() -> remote(shortLived, "node-b/sim-4", "acquire", 30_000));
        await("node-b queues the remote wait", () -> b.service.agent().statistics().waiting() == waitingBefore + 1);
        long expiresAt = System.nanoTime();
        // no heartbeats: node-a's lease ends after 1.5 s; node-b must free sim-3 and drop the waiter on sim-4
        await("node-b frees sim-3 after node-a's lease expired",
                () -> b.lock("sim-3").getString("state").equals("free"));
        Duration freed = Duration.ofNanos(System.nanoTime() - expiresAt);
        TestService.Reply ended = wait.get(25, TimeUnit.SECONDS);
        assertThat(ended.status()).as(ended.body()).isIn(410, 503);
        await("node-b drops the remote waiter", () -> b.service.agent().statistics().waiting() == waitingBefore);
        assertThat(b.release(local, "sim-4").status()).isEqualTo(200);
        assertThat(b.lock("sim-4").getString("state")).isEqualTo("free");
        assertThat(freed).as("time to free after the lease").isLessThan(Duration.ofSeconds(5));
        remote(shortLived, "node-b/sim-3", "release", 0).problem(410, "RPC_E_DISCONNECTED");
    }

    /** Closing the requesting session while it waits remotely answers the wait and leaves no waiter or grant. */
    @Test
    void closingTheRequestingSessionMidWaitLeavesNothingOnTheOwningNode() throws Exception {
        TestService.Session local = b.openForMinutes("LocalB5");
        assertThat(b.acquire(local, "sim-5").status()).isEqualTo(200);
        TestService.Session s = a.openForMinutes("Closer");
        long waitingBefore = b.service.agent().statistics().waiting();
        CompletableFuture<TestService.Reply> wait = async(() -> remote(s, "node-b/sim-5", "acquire", 20_000));
        await("queued", () -> b.service.agent().statistics().waiting() == waitingBefore + 1);
        assertThat(a.send("DELETE", "/api/v1/sessions/" + s.id(), null, "X-Session-Token", s.token()).status())
                .isEqualTo(204);
        TestService.Reply ended = wait.get(15, TimeUnit.SECONDS);
        assertThat(ended.status()).as(ended.body()).isIn(410, 503);
        await("node-b drops the waiter", () -> b.service.agent().statistics().waiting() == waitingBefore);
        assertThat(b.release(local, "sim-5").json().getInteger("lockCount")).isZero();
        assertThat(b.lock("sim-5").getString("state")).isEqualTo("free");
        // a local client of node-b takes it at once
        TestService.Session next = b.openForMinutes("NextB");
        assertThat(b.acquire(next, "sim-5").status()).isEqualTo(200);
        assertThat(b.release(next, "sim-5").status()).isEqualTo(200);
    }

    /**
     * An HTTP client of node-a that disconnects while its remote acquire waits: when node-b's holder releases, the
     * grant must not stay with a client nobody represents (docs: "a grant that arrives for a client that left is
     * given back").
     */
    @Test
    void anHttpClientThatDisconnectsMidWaitLeavesNoLockBehind() throws Exception {
        TestService.Session local = b.openForMinutes("LocalB6");
        assertThat(b.acquire(local, "sim-6").status()).isEqualTo(200);
        TestService.Session s = a.openForMinutes("Leaver");
        long waitingBefore = b.service.agent().statistics().waiting();
        try (Socket socket = rawAcquire(s, "node-b/sim-6", 20_000)) {
            await("queued", () -> b.service.agent().statistics().waiting() == waitingBefore + 1);
        }
        // the client is gone; node-b's holder releases
        assertThat(b.release(local, "sim-6").json().getInteger("lockCount")).isZero();
        await("node-b's sim-6 free again after the departed client's grant",
                () -> b.lock("sim-6").getString("state").equals("free"));
        assertThat(b.service.agent().statistics().waiting()).isEqualTo(waitingBefore);
        // and the session that sent it holds nothing there: its release is refused
        remote(s, "node-b/sim-6", "release", 0).problem(409, "HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)");
        // a second round: the client leaves, and a local waiter queued behind it must get the drive
        assertThat(b.acquire(local, "sim-6").status()).isEqualTo(200);
        try (Socket socket = rawAcquire(s, "node-b/sim-6", 20_000)) {
            await("queued", () -> b.service.agent().statistics().waiting() == waitingBefore + 1);
        }
        TestService.Session behind = b.openForMinutes("BehindB");
        CompletableFuture<TestService.Reply> localWait = async(() -> b.acquire(behind, "sim-6",
                new JsonObject().put("waitMillis", 15_000)));
        await("both queued or the departed one dropped",
                () -> b.service.agent().statistics().waiting() >= waitingBefore + 1);
        assertThat(b.release(local, "sim-6").status()).isEqualTo(200);
        TestService.Reply got = localWait.get(20, TimeUnit.SECONDS);
        assertThat(got.status()).as(got.body()).isEqualTo(200);
        assertThat(b.lock("sim-6").getString("owner")).isEqualTo("BehindB");
        assertThat(b.release(behind, "sim-6").json().getInteger("lockCount")).isZero();
    }

    // ------------------------------------------------------------------------------------------------ order

    /** Remote and local waiters of node-b's recorder are handed it in the order they asked, one FIFO. */
    @Test
    void remoteAndLocalWaitersShareOneFifo() throws Exception {
        TestService.Session holder = b.openForMinutes("Holder7");
        assertThat(b.acquire(holder, "sim-7").status()).isEqualTo(200);
        List<String> names = List.of("R1", "L1", "R2", "L2", "R3");
        List<TestService.Session> sessions = new ArrayList<>();
        List<CompletableFuture<TestService.Reply>> waits = new ArrayList<>();
        long waitingBefore = b.service.agent().statistics().waiting();
        for (String name : names) {
            boolean remote = name.startsWith("R");
            TestService.Session s = remote ? a.openForMinutes(name) : b.openForMinutes(name);
            sessions.add(s);
            waits.add(async(() -> remote ? remote(s, "node-b/sim-7", "acquire", 30_000)
                    : b.acquire(s, "sim-7", new JsonObject().put("waitMillis", 30_000))));
            long expected = waitingBefore + waits.size();
            await(name + " queued", () -> b.service.agent().statistics().waiting() == expected);
        }
        List<String> order = new ArrayList<>();
        assertThat(b.release(holder, "sim-7").status()).isEqualTo(200);
        for (int turn = 0; turn < names.size(); turn++) {
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            int granted = -1;
            while (granted < 0 && System.nanoTime() < deadline) {
                for (int i = 0; i < waits.size(); i++) {
                    if (waits.get(i).isDone() && !order.contains(names.get(i))) {
                        granted = i;
                    }
                }
                Thread.onSpinWait();
            }
            assertThat(granted).as("a grant after %s", order).isNotNegative();
            TestService.Reply reply = waits.get(granted).get();
            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
            String name = names.get(granted);
            order.add(name);
            String expectedOwner = name.startsWith("R") ? "node-a: " + name : name;
            assertThat(b.lock("sim-7").getString("owner")).isEqualTo(expectedOwner);
            TestService.Reply released = name.startsWith("R") ? remote(sessions.get(granted), "node-b/sim-7",
                    "release", 0) : b.release(sessions.get(granted), "sim-7");
            assertThat(released.json().getInteger("lockCount")).isZero();
        }
        assertThat(order).containsExactlyElementsOf(names);
        assertThat(b.lock("sim-7").getString("state")).isEqualTo("free");
    }

    // ------------------------------------------------------------------------------------------------ races

    /**
     * Several sessions of node-a and of node-b hammer two recorders of node-b with acquire/release; mutual exclusion
     * holds at every grant, every count answered is exact, and at the end both recorders are free with no waiter.
     */
    @Test
    void concurrentRemoteAndLocalClientsLeaveExactCountsAndFreeDrives() throws Exception {
        String[] recorders = {"sim-0", "sim-1"};
        int clients = 6;
        int rounds = 8;
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        List<TestService.Session> remoteSessions = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            boolean remote = c % 3 != 2;
            String rec = recorders[c % 2];
            TestService.Session s = remote ? a.openForMinutes("Race" + c) : b.openForMinutes("Race" + c);
            if (remote) {
                remoteSessions.add(s);
            }
            String owner = remote ? "node-a: Race" + c : "Race" + c;
            all.add(CompletableFuture.runAsync(() -> {
                for (int r = 0; r < rounds; r++) {
                    TestService.Reply got = remote ? remote(s, "node-b/" + rec, "acquire", 20_000)
                            : b.acquire(s, rec, new JsonObject().put("waitMillis", 20_000));
                    if (got.status() != 200 || got.json().getInteger("lockCount") != 1) {
                        errors.add(owner + " acquire: " + got.status() + " " + got.body());
                        continue;
                    }
                    JsonObject lock = b.lock(rec);
                    if (!owner.equals(lock.getString("owner")) || lock.getInteger("count") != 1) {
                        errors.add(owner + " granted but node-b shows " + lock.encode());
                    }
                    // a second count, then both back
                    TestService.Reply again = remote ? remote(s, "node-b/" + rec, "acquire", 0)
                            : b.acquire(s, rec);
                    if (again.status() != 200 || again.json().getInteger("lockCount") != 2) {
                        errors.add(owner + " re-entrant acquire: " + again.status() + " " + again.body());
                    }
                    for (int expected = 1; expected >= 0; expected--) {
                        TestService.Reply rel = remote ? remote(s, "node-b/" + rec, "release", 0)
                                : b.release(s, rec);
                        if (rel.status() != 200 || rel.json().getInteger("lockCount") != expected) {
                            errors.add(owner + " release to " + expected + ": " + rel.status() + " " + rel.body());
                        }
                    }
                }
            }, pool));
        }
        // and a session closed mid-race with waits and holds on both recorders
        TestService.Session doomed = a.openForMinutes("Doomed");
        all.add(CompletableFuture.runAsync(() -> {
            for (int r = 0; r < 3; r++) {
                remote(doomed, "node-b/sim-0", "acquire", 20_000);
                remote(doomed, "node-b/sim-1", "acquire", 20_000);
            }
        }, pool));
        CompletableFuture<Void> closer = CompletableFuture.runAsync(() -> {
            long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            a.send("DELETE", "/api/v1/sessions/" + doomed.id(), null, "X-Session-Token", doomed.token());
        }, pool);
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        closer.get(10, TimeUnit.SECONDS);
        assertThat(errors).isEmpty();
        await("both free on node-b", () -> b.lock("sim-0").getString("state").equals("free")
                && b.lock("sim-1").getString("state").equals("free"));
        assertThat(b.service.agent().statistics().waiting()).isZero();
    }

    // ------------------------------------------------------------------------------------------------ timing

    /** A remote wait that runs out is B's 504, answered near waitMillis; no waiter stays on node-b. */
    @Test
    void aRemoteWaitThatRunsOutIsAnsweredInTimeAndLeavesNoWaiter() {
        TestService.Session local = b.openForMinutes("LocalB3w");
        assertThat(b.acquire(local, "sim-3", new JsonObject().put("waitMillis", 20_000)).status()).isEqualTo(200);
        TestService.Session s = a.openForMinutes("Timer");
        long t0 = System.nanoTime();
        JsonObject problem = remote(s, "node-b/sim-3", "acquire", 2_000).problem(504,
                "HRESULT_FROM_WIN32(ERROR_TIMEOUT)");
        long took = Duration.ofNanos(System.nanoTime() - t0).toMillis();
        assertThat(took).isBetween(1_900L, 6_000L);
        assertThat(problem.getString("detail")).contains("LocalB3w");
        assertThat(b.release(local, "sim-3").json().getInteger("lockCount")).isZero();
        assertThat(b.lock("sim-3").getString("state")).isEqualTo("free");
        remote(s, "node-b/sim-3", "release", 0).problem(409, "HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)");
    }

    // ------------------------------------------------------------------------------------------------ shutdown

    /** A third member that shuts down with holds and waits on node-b gives them all back. */
    @Test
    void aRequestingNodeThatShutsDownMidWaitLeavesNothingOnTheOwningNode() throws Exception {
        TestService c = member("node-c", 2, cfg -> { });
        awaitFleet(c, "node-b");
        TestService.Session local = b.openForMinutes("LocalB4");
        assertThat(b.acquire(local, "sim-4").status()).isEqualTo(200);
        TestService.Session s = c.openForMinutes("Leaving");
        assertThat(post(c, s, "node-b/sim-2", "acquire", 0).status()).isEqualTo(200);
        long waitingBefore = b.service.agent().statistics().waiting();
        CompletableFuture<TestService.Reply> wait = async(() -> {
            try {
                return post(c, s, "node-b/sim-4", "acquire", 30_000);
            } catch (AssertionError e) {
                return new TestService.Reply(599, null, String.valueOf(e));
            }
        });
        await("queued", () -> b.service.agent().statistics().waiting() == waitingBefore + 1);
        started.remove(c);
        c.close();
        await("node-b frees node-c's hold", () -> b.lock("sim-2").getString("state").equals("free"));
        await("node-b drops node-c's waiter", () -> b.service.agent().statistics().waiting() == waitingBefore);
        wait.get(15, TimeUnit.SECONDS);
        assertThat(b.release(local, "sim-4").json().getInteger("lockCount")).isZero();
        assertThat(b.lock("sim-4").getString("state")).isEqualTo("free");
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private TestService member(String node, int index, java.util.function.Consumer<ServiceConfig.Builder> more) {
        TestService t = FleetSupport.member(node, ports, index, secret, more);
        started.add(t);
        return t;
    }

    /** Waits until {@code t}'s fleet view, over HTTP, shows {@code other} reachable. */
    private void awaitFleet(TestService t, String other) {
        long deadline = System.nanoTime() + CONVERGE.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            TestService.Reply reply = t.get("/api/v1/fleet/recorders");
            last = reply.body();
            if (reply.status() == 200) {
                for (Object n : reply.json().getJsonArray("nodes")) {
                    JsonObject node = (JsonObject) n;
                    if (node.getString("node").equals(other) && node.getBoolean("reachable")) {
                        return;
                    }
                }
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("the fleet did not converge: " + last);
    }

    private TestService.Reply remote(TestService.Session s, String target, String op, long waitMillis) {
        return post(a, s, target, op, waitMillis);
    }

    private TestService.Reply post(TestService t, TestService.Session s, String target, String op,
            long waitMillis) {
        JsonObject body = new JsonObject().put("sessionId", s.id());
        if (op.equals("acquire")) {
            body.put("waitMillis", waitMillis);
        }
        return send(t, "/api/v1/fleet/recorders/" + target + "/" + op, body.encode(), s.token(),
                Math.max(waitMillis, 0));
    }

    /** One request that must be answered within {@code waitMillis} plus 10 s (plus 2 s of slack for this machine). */
    private TestService.Reply send(TestService t, String path, String body, String token, long waitMillis) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(t.base + path))
                .timeout(Duration.ofMillis(Math.min(waitMillis, 3_600_000) + 12_000))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        if (token != null) {
            request.header("X-Session-Token", token);
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new TestService.Reply(response.statusCode(), response.headers(), response.body());
        } catch (HttpTimeoutException e) {
            throw new AssertionError("POST " + path + " was not answered within its wait plus 10 s", e);
        } catch (IOException e) {
            throw new AssertionError("POST " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Sends a remote acquire on a raw connection to node-a and returns the socket, to be closed mid-wait. */
    private Socket rawAcquire(TestService.Session s, String target, long waitMillis) throws IOException {
        return FleetSupport.rawPost(a, "/api/v1/fleet/recorders/" + target + "/acquire", s.token(), new JsonObject()
                .put("sessionId", s.id()).put("waitMillis", waitMillis));
    }

    private TestService.Session open(TestService t, String name, long ttlMillis) {
        TestService.Reply reply = t.post("/api/v1/sessions",
                new JsonObject().put("clientName", name).put("ttlMillis", ttlMillis));
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
        return new TestService.Session(reply.json().getString("sessionId"), reply.json().getString("token"));
    }

    private <T> CompletableFuture<T> async(java.util.function.Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, pool);
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not within 20 s");
            }
            Thread.onSpinWait();
        }
    }


}
