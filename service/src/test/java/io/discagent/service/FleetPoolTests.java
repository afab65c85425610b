package io.discagent.service;

import static io.discagent.service.FleetSupport.freePorts;
import static io.discagent.service.FleetSupport.reachable;
import static io.discagent.service.FleetSupport.secret;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.RecorderId;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code POST /api/v1/fleet/recorders/acquire-any}: a workflow on one node waits for the first free drive of a pool
 * (with a blank medium, if it asks) on any node of the fleet. Three real members on loopback, each with two simulated
 * recorders; every test leaves every drive free and every FIFO empty (checked after each).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetPoolTests {

    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<TestService> started = new ArrayList<>();
    private TestService a;
    private TestService b;
    private TestService c;

    @BeforeAll
    void fleet() {
        int[] ports = freePorts(3);
        byte[] secret = secret();
        a = start(FleetSupport.member("node-a", ports, 0, secret, cfg -> cfg.maxWait(Duration.ofSeconds(60))));
        b = start(FleetSupport.member("node-b", ports, 1, secret, cfg -> { }));
        c = start(FleetSupport.member("node-c", ports, 2, secret, cfg -> { }));
        for (TestService t : started) {
            FleetSupport.awaitView(t, v -> reachable(v).size() == 3 && v.recorders().size() == 6);
        }
    }

    @AfterEach
    void everyDriveFreeAndNoWaiterLeft() {
        for (TestService t : started) {
            await(t.service.fleet().node().orElseThrow().name() + " with no waiter",
                    () -> t.service.agent().statistics().waiting() == 0);
            for (RecorderId id : t.sim().recorders()) {
                await(id + " free", () -> t.lock(id.value()).getString("state").equals("free"));
                t.sim().changeMedia(id, MediaState.MEDIA_PRESENT);
            }
        }
    }

    @AfterAll
    void stop() {
        pool.shutdownNow();
        started.forEach(TestService::close);
    }

    @Test
    void aWorkflowOnOneNodeGetsTheOnlyFreeDriveWithABlankMediumOnAnyNode() {
        for (TestService t : List.of(a, b)) {
            for (RecorderId id : t.sim().recorders()) {
                t.sim().changeMedia(id, MediaState.NO_MEDIA);
            }
        }
        TestService.Session local = c.openForMinutes("Local on C");
        assertThat(c.acquire(local, "sim-0").status()).isEqualTo(200);
        TestService.Session workflow = a.openForMinutes("Workflow");
        JsonObject blank = new JsonObject().put("writable", true).put("minFreeBytes", 1);
        TestService.Reply granted = acquireAny(workflow, new JsonObject().put("medium", blank).put("waitMillis",
                5_000));
        assertThat(granted.status()).as(granted.body()).isEqualTo(200);
        assertThat(granted.json().getString("recorder")).isEqualTo("node-c/sim-1");
        assertThat(granted.json().getInteger("lockCount")).isEqualTo(1);
        assertThat(c.lock("sim-1").getString("owner")).isEqualTo("node-a: Workflow");
        assertThat(release(workflow, "node-c/sim-1").json().getInteger("lockCount")).isZero();
        assertThat(c.release(local, "sim-0").status()).isEqualTo(200);
    }

    @Test
    void aPoolWaiterGetsTheFirstDriveThatFreesOnAnyNodeAndTheOtherNodesStopWaiting() throws Exception {
        TestService.Session onB = b.openForMinutes("Holder on B");
        TestService.Session onC = c.openForMinutes("Holder on C");
        assertThat(b.acquire(onB, "sim-0").status()).isEqualTo(200);
        assertThat(c.acquire(onC, "sim-0").status()).isEqualTo(200);
        TestService.Session workflow = a.openForMinutes("Waiter");
        CompletableFuture<TestService.Reply> waiting = async(() -> acquireAny(workflow, new JsonObject()
                .put("recorders", new JsonArray().add("node-b/sim-0").add("node-c/sim-0")).put("waitMillis", 30_000)));
        await("queued on B and C", () -> b.service.agent().statistics().waiting() == 1
                && c.service.agent().statistics().waiting() == 1);
        assertThat(c.release(onC, "sim-0").status()).isEqualTo(200);
        TestService.Reply granted = waiting.get(20, TimeUnit.SECONDS);
        assertThat(granted.status()).as(granted.body()).isEqualTo(200);
        assertThat(granted.json().getString("recorder")).isEqualTo("node-c/sim-0");
        assertThat(c.lock("sim-0").getString("owner")).isEqualTo("node-a: Waiter");
        // node-b stopped waiting at once: its local holder's release frees the drive for everybody
        await("node-b's waiter gone", () -> b.service.agent().statistics().waiting() == 0);
        assertThat(b.release(onB, "sim-0").json().getInteger("lockCount")).isZero();
        assertThat(b.lock("sim-0").getString("state")).isEqualTo("free");
        assertThat(release(workflow, "node-c/sim-0").json().getInteger("lockCount")).isZero();
    }

    @Test
    void grantsThatRaceOnTwoNodesLeaveExactlyOneHeldAndTheOtherFree() throws Exception {
        TestService.Session workflow = a.openForMinutes("Racer");
        JsonObject body = new JsonObject().put("recorders", new JsonArray().add("node-b/sim-1").add("node-c/sim-1"))
                .put("waitMillis", 5_000);
        for (int round = 0; round < 20; round++) {
            TestService.Reply granted = acquireAny(workflow, body);
            assertThat(granted.status()).as(granted.body()).isEqualTo(200);
            String won = granted.json().getString("recorder");
            TestService winner = won.startsWith("node-b/") ? b : c;
            TestService loser = winner == b ? c : b;
            assertThat(winner.lock("sim-1").getString("owner")).isEqualTo("node-a: Racer");
            assertThat(winner.lock("sim-1").getInteger("count")).isEqualTo(1);
            // both nodes were free, so both granted: the loser's grant is given back at once
            int r = round;
            await(() -> "round " + r + ": the other node's drive given back; node-b " + b.lock("sim-1") + " waiting "
                    + b.service.agent().statistics().waiting() + ", node-c " + c.lock("sim-1") + " waiting "
                    + c.service.agent().statistics().waiting() + ", winner " + won,
                    () -> loser.lock("sim-1").getString("state").equals("free"));
            assertThat(release(workflow, won).json().getInteger("lockCount")).isZero();
            // the given-back grant is gone for good: a release of it there is refused
            String other = (loser == b ? "node-b" : "node-c") + "/sim-1";
            release(workflow, other).problem(409, "HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)");
        }
    }

    @Test
    void aWaitThatRunsOutOnEveryNodeIsATimeoutAndLeavesNoWaiter() {
        TestService.Session onB = b.openForMinutes("Busy B");
        TestService.Session onC = c.openForMinutes("Busy C");
        assertThat(b.acquire(onB, "sim-1").status()).isEqualTo(200);
        assertThat(c.acquire(onC, "sim-1").status()).isEqualTo(200);
        TestService.Session workflow = a.openForMinutes("Patient");
        JsonObject pool = new JsonObject().put("recorders", new JsonArray().add("node-b/sim-1").add("node-c/sim-1"));
        acquireAny(workflow, pool.copy().put("waitMillis", 1_000)).problem(504, "HRESULT_FROM_WIN32(ERROR_TIMEOUT)");
        TestService.Reply locked = acquireAny(workflow, pool);
        assertThat(locked.status()).as(locked.body()).isEqualTo(423);
        assertThat(locked.json().getString("owner")).isIn("Busy B", "Busy C");
        assertThat(b.release(onB, "sim-1").status()).isEqualTo(200);
        assertThat(c.release(onC, "sim-1").status()).isEqualTo(200);
    }

    @Test
    void poolsNoNodeHasAre404AndMalformedPoolsAre400() {
        TestService.Session s = a.openForMinutes("Typo");
        acquireAny(s, new JsonObject().put("recorders", new JsonArray().add("node-x/sim-0")))
                .problem(404, "HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)");
        acquireAny(s, new JsonObject().put("recorders", new JsonArray().add("node-b/sim-9")))
                .problem(404, "HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)");
        for (Object bad : List.of(new JsonArray().add("sim-0"), new JsonArray().add("/sim-0"),
                new JsonArray().add("node-b/"), new JsonArray(), "node-b/sim-0")) {
            acquireAny(s, new JsonObject().put("recorders", bad)).problem(400, "E_INVALIDARG");
        }
        acquireAny(s, new JsonObject().put("medium", new JsonObject().put("writable", true)
                .put("minFreeBytes", 1L << 50))).problem(409, "E_IMAPI_DF2DATA_MEDIA_IS_NOT_SUPPORTED");
        acquireAny(s, new JsonObject().put("medium", new JsonObject().put("writable", false)))
                .problem(400, "E_INVALIDARG");
        acquireAny(s, new JsonObject().put("waitMillis", 61_000)).problem(400, "E_INVALIDARG");
        TestService.Reply noToken = a.post("/api/v1/fleet/recorders/acquire-any",
                new JsonObject().put("sessionId", s.id()));
        assertThat(noToken.status()).as(noToken.body()).isIn(401, 403);
    }

    @Test
    void aClientThatHangsUpMidWaitLeavesNoWaiterOnAnyNode() throws Exception {
        TestService.Session onB = b.openForMinutes("Keeper B");
        TestService.Session onC = c.openForMinutes("Keeper C");
        assertThat(b.acquire(onB, "sim-0").status()).isEqualTo(200);
        assertThat(c.acquire(onC, "sim-0").status()).isEqualTo(200);
        TestService.Session s = a.openForMinutes("Leaver");
        try (Socket socket = rawAcquireAny(s, new JsonArray().add("node-b/sim-0").add("node-c/sim-0"))) {
            await("queued on B and C", () -> b.service.agent().statistics().waiting() == 1
                    && c.service.agent().statistics().waiting() == 1);
        }
        // gone from both FIFOs before any drive frees
        await("no waiter left on B and C", () -> b.service.agent().statistics().waiting() == 0
                && c.service.agent().statistics().waiting() == 0);
        assertThat(b.release(onB, "sim-0").json().getInteger("lockCount")).isZero();
        assertThat(c.release(onC, "sim-0").json().getInteger("lockCount")).isZero();
        assertThat(b.lock("sim-0").getString("state")).isEqualTo("free");
        assertThat(c.lock("sim-0").getString("state")).isEqualTo("free");
    }

    @Test
    void aSessionClosedMidWaitLeavesNothingOnAnyNode() throws Exception {
        TestService.Session onB = b.openForMinutes("Owner B");
        assertThat(b.acquire(onB, "sim-1").status()).isEqualTo(200);
        TestService.Session s = a.openForMinutes("Closer");
        CompletableFuture<TestService.Reply> waiting = async(() -> acquireAny(s, new JsonObject()
                .put("recorders", new JsonArray().add("node-b/sim-1")).put("waitMillis", 30_000)));
        await("queued on B", () -> b.service.agent().statistics().waiting() == 1);
        TestService.Reply closed = a.send("DELETE", "/api/v1/sessions/" + s.id(), null, "X-Session-Token",
                s.token());
        assertThat(closed.status()).as(closed.body()).isLessThan(300);
        TestService.Reply answer = waiting.get(20, TimeUnit.SECONDS);
        assertThat(answer.status()).as(answer.body()).isNotEqualTo(200);
        assertThat(b.release(onB, "sim-1").json().getInteger("lockCount")).isZero();
        await("node-b's sim-1 free", () -> b.lock("sim-1").getString("state").equals("free"));
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private TestService start(TestService t) {
        started.add(t);
        return t;
    }

    private TestService.Reply acquireAny(TestService.Session s, JsonObject body) {
        return a.post("/api/v1/fleet/recorders/acquire-any", body.copy().put("sessionId", s.id()),
                "X-Session-Token", s.token());
    }

    private TestService.Reply release(TestService.Session s, String target) {
        return a.post("/api/v1/fleet/recorders/" + target + "/release", new JsonObject().put("sessionId", s.id()),
                "X-Session-Token", s.token());
    }

    /** Sends a fleet acquire-any on a raw connection to node-a and returns the socket, to be closed mid-wait. */
    private Socket rawAcquireAny(TestService.Session s, JsonArray recorders) throws IOException {
        return FleetSupport.rawPost(a, "/api/v1/fleet/recorders/acquire-any", s.token(), new JsonObject()
                .put("sessionId", s.id()).put("recorders", recorders).put("waitMillis", 30_000));
    }

    private <T> CompletableFuture<T> async(java.util.function.Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, pool);
    }

    /** A real, bounded wait (fleet messages cross Hazelcast's event bus). */
    private static void await(String what, BooleanSupplier condition) {
        await(() -> what, condition);
    }

    private static void await(java.util.function.Supplier<String> what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what.get() + ": not within 20 s");
            }
            Thread.onSpinWait();
        }
    }
}
