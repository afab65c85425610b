package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.LockState;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.RecorderSelector;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.event.DeviceEvent;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import io.discagent.api.event.RecorderArrivedEvent;
import io.discagent.api.event.RecorderRemovedEvent;
import io.discagent.service.fleet.FleetAgent;
import io.discagent.service.fleet.FleetNode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * Second round of attacks on the fleet as a {@code RecorderAgent}: a member lost (closed) while another node's fleet
 * session holds and waits on its drives and its return under the same name, pools by predicate and by medium, the
 * streams under subscribe/cancel storms, a closed fleet agent, the fleet's WebSocket with many clients. Three real
 * members on loopback (node-a, node-b, node-c), two simulated recorders each.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetAgentAdversary2Tests {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private final List<TestService> started = new ArrayList<>();
    private int[] ports;
    private byte[] secret;
    private TestService a;
    private TestService b;
    private TestService c;
    private FleetAgent fleet;

    @BeforeAll
    void fleet() {
        ports = FleetSupport.freePorts(4);
        secret = FleetSupport.secret();
        int[] three = {ports[0], ports[1], ports[2]};
        a = FleetSupport.member("node-a", three, 0, secret, cfg -> { });
        b = FleetSupport.member("node-b", three, 1, secret, cfg -> { });
        c = FleetSupport.member("node-c", three, 2, secret, cfg -> { });
        started.addAll(List.of(a, b, c));
        for (TestService t : started) {
            FleetSupport.awaitView(t, v -> FleetSupport.reachable(v).size() == 3 && v.recorders().size() == 6);
        }
        fleet = node(a).agent();
    }

    @AfterAll
    void stop() {
        started.forEach(TestService::close);
    }

    private static FleetNode node(TestService t) {
        return t.service.fleet().node().orElseThrow();
    }

    private static String thread() {
        return Thread.currentThread().getName();
    }

    private static boolean onLoop(String thread) {
        return thread.startsWith("vert.x-eventloop-thread");
    }

    // ---------------------------------------------------------------- pools

    @Test
    @Order(1)
    void poolsByPredicateAndByMediumPickOnlyWhatTheyMatchAndFailTypedWhenNothingMatches() {
        ClientSession s = fleet.openSession("Pools").block(WAIT);
        List<String> wrong = new ArrayList<>();
        try {
            // a predicate matching nothing: RecorderRemovedException at once, on the event loop
            String nothing = outcome(() -> s.acquireAny(RecorderSelector.matching(r -> false),
                    AcquireOptions.waitUpTo(WAIT)));
            if (!nothing.equals("RecorderRemovedException 0x80070037 on the event loop")) {
                wrong.add("matching nothing: " + nothing);
            }
            // a predicate matching only the requesting node's own drives
            LockGrant own = s.acquireAny(RecorderSelector.matching(r -> r.id().value().startsWith("node-a/")),
                    AcquireOptions.waitUpTo(WAIT)).block(WAIT);
            if (!own.recorder().value().startsWith("node-a/") || own.lockCount() != 1) {
                wrong.add("own node's pool granted " + own);
            }
            String local = own.recorder().value().substring("node-a/".length());
            if (!a.lock(local).getString("state").equals("held")) {
                wrong.add("node-a does not show " + local + " held: " + a.lock(local));
            }
            s.release(own).block(WAIT);
            // no medium anywhere: a writable-medium pool matches nothing
            for (TestService t : started) {
                for (RecorderId id : t.sim().recorders()) {
                    t.sim().changeMedia(id, MediaState.NO_MEDIA);
                }
            }
            await("every medium gone in the fleet's view", () -> allMedia(false));
            String noMedium = outcome(() -> s.acquireAny(RecorderSelector.any().withWritableMedium(0),
                    AcquireOptions.waitUpTo(WAIT)));
            // the fleet tests the medium once, when the request starts: nothing matches, MediaNotWritable (as a request
            // that may not wait; RecorderSelector "Media")
            if (!noMedium.equals("MediaNotWritableException 0xC0AA0406 on the event loop")) {
                wrong.add("writable medium with none in the fleet: " + noMedium);
            }
            // one medium back on node-b/sim-1: the pool takes exactly that one
            b.sim().changeMedia(RecorderId.of("sim-1"), MediaState.MEDIA_PRESENT);
            await("node-b/sim-1's medium published", () -> {
                try {
                    RecorderId id = RecorderId.of("node-b/sim-1");
                    return fleet.media(id).block(WAIT).writable();
                } catch (RuntimeException e) {
                    return false;
                }
            });
            for (int i = 0; i < 3; i++) {
                LockGrant g = s.acquireAny(RecorderSelector.any().withWritableMedium(0),
                        AcquireOptions.waitUpTo(WAIT)).block(WAIT);
                if (!g.recorder().value().equals("node-b/sim-1") || g.lockCount() != i + 1) {
                    wrong.add("round " + i + ": the medium pool granted " + g);
                }
            }
            Integer count = s.lockCount(RecorderId.of("node-b/sim-1")).block(WAIT);
            if (count != 3 || b.lock("sim-1").getInteger("count") != 3) {
                wrong.add("counts after three pool grants: session " + count + ", node-b " + b.lock("sim-1"));
            }
            // predicate AND medium: a predicate excluding node-b leaves nothing
            String excluded = outcome(() -> s.acquireAny(RecorderSelector.matching(r -> !r.id().value()
                    .startsWith("node-b/")).withWritableMedium(0), AcquireOptions.waitUpTo(WAIT)));
            if (!excluded.equals("MediaNotWritableException 0xC0AA0406 on the event loop")) {
                wrong.add("predicate excluding the only medium: " + excluded);
            }
            // withLockAny with a predicate, body sees the grant on the event loop
            List<String> bodyThreads = new CopyOnWriteArrayList<>();
            List<String> got = s.withLockAny(RecorderSelector.matching(r -> r.id().value().equals("node-c/sim-0")),
                    AcquireOptions.waitUpTo(WAIT), g -> {
                        bodyThreads.add(thread());
                        return Flux.just(g.recorder().value() + "#" + g.lockCount());
                    }).collectList().block(WAIT);
            if (!got.equals(List.of("node-c/sim-0#1")) || !bodyThreads.stream().allMatch(
                    FleetAgentAdversary2Tests::onLoop)) {
                wrong.add("withLockAny by predicate: " + got + " on " + bodyThreads);
            }
        } finally {
            s.close().block(WAIT);
            for (TestService t : started) {
                for (RecorderId id : t.sim().recorders()) {
                    t.sim().changeMedia(id, MediaState.MEDIA_PRESENT);
                }
            }
        }
        await("every medium back in the fleet's view", () -> allMedia(true));
        FleetSupport.awaitEveryDriveFreeAndNoWaiter(started);
        assertThat(wrong).isEmpty();
    }

    private boolean allMedia(boolean present) {
        for (RecorderInfo r : fleet.recorders().block(WAIT)) {
            try {
                boolean writable = fleet.media(r.id()).block(WAIT).writable();
                if (writable != present) {
                    return false;
                }
            } catch (RuntimeException e) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- streams

    @Test
    @Order(2)
    void subscribersThatSubscribeAndCancelInAStormDuringChurnOnThreeNodesSeeSnapshotsThatMatchRecorders()
            throws Exception {
        List<String> threads = new CopyOnWriteArrayList<>();
        List<String> wrong = new CopyOnWriteArrayList<>();
        AtomicBoolean churning = new AtomicBoolean(true);
        List<CompletableFuture<Void>> churn = new ArrayList<>();
        for (TestService t : started) {
            churn.add(CompletableFuture.runAsync(() -> {
                ClientSession s = t.service.agent().openSession("Churn").block(WAIT);
                int i = 0;
                while (churning.get()) {
                    RecorderId id = RecorderId.of("sim-" + (i++ % 2));
                    s.acquire(id).block(WAIT);
                    s.release(id).block(WAIT);
                }
                s.close().block(WAIT);
            }));
        }
        try {
            List<CompletableFuture<Void>> storm = new ArrayList<>();
            for (int k = 0; k < 4; k++) {
                storm.add(CompletableFuture.runAsync(() -> {
                    for (int round = 0; round < 25; round++) {
                        List<LockTransition> firsts = new CopyOnWriteArrayList<>();
                        AtomicReference<Object> error = new AtomicReference<>();
                        Disposable d1 = fleet.lockTransitions().subscribe(x -> {
                            threads.add(thread());
                            firsts.add(x);
                        }, error::set);
                        Disposable d2 = fleet.events().take(3).subscribe(x -> threads.add(thread()), error::set);
                        Disposable d3 = fleet.deviceEvents().subscribe(x -> threads.add(thread()), error::set);
                        Disposable d4 = fleet.lockTransitions(RecorderId.of("node-c/sim-1"))
                                .subscribe(x -> threads.add(thread()), error::set);
                        long deadline = System.nanoTime() + WAIT.toNanos();
                        while (firsts.size() < 6 && error.get() == null && System.nanoTime() < deadline) {
                            Thread.onSpinWait();
                        }
                        d1.dispose();
                        d2.dispose();
                        d3.dispose();
                        d4.dispose();
                        if (error.get() != null) {
                            wrong.add("a stream failed: " + error.get());
                            return;
                        }
                        List<String> snapshotIds = firsts.stream().limit(6)
                                .filter(x -> x.cause() == LockTransition.Cause.SNAPSHOT)
                                .map(x -> x.recorder().value()).sorted().toList();
                        if (snapshotIds.size() != 6 || snapshotIds.stream().distinct().count() != 6) {
                            wrong.add("the first six transitions are not one snapshot of each recorder: "
                                    + firsts.stream().limit(6).toList());
                            return;
                        }
                    }
                }));
            }
            for (CompletableFuture<Void> f : storm) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            churning.set(false);
            for (CompletableFuture<Void> f : churn) {
                f.get(40, TimeUnit.SECONDS);
            }
        }
        FleetSupport.awaitEveryDriveFreeAndNoWaiter(started);
        // once quiet: a new subscriber's snapshot says what recorders() says
        await("the fleet's view shows every drive free", () -> fleet.recorders().block(WAIT).stream()
                .allMatch(r -> r.lockState().status() == LockState.Status.FREE));
        List<LockTransition> snapshot = fleet.lockTransitions().take(6).collectList().block(WAIT);
        Map<String, LockState> fromStream = new TreeMap<>();
        snapshot.forEach(x -> fromStream.put(x.recorder().value(), x.to()));
        Map<String, LockState> fromList = new TreeMap<>();
        fleet.recorders().block(WAIT).forEach(r -> fromList.put(r.id().value(), r.lockState()));
        assertThat(snapshot).allMatch(x -> x.cause() == LockTransition.Cause.SNAPSHOT && x.sequence() == 0);
        assertThat(fromStream).isEqualTo(fromList);
        assertThat(wrong).isEmpty();
        assertThat(threads).isNotEmpty().allMatch(FleetAgentAdversary2Tests::onLoop);
    }

    // ---------------------------------------------------------------- waiting on several nodes

    @Test
    @Order(3)
    void placesInLineWhileWaitingOnTwoNodesAreEachOwningNodesAndTheGrantsComeInFifoOrder() throws Exception {
        ClientSession holderA = a.service.agent().openSession("Holder A").block(WAIT);
        ClientSession holderC = c.service.agent().openSession("Holder C").block(WAIT);
        ClientSession aheadC = c.service.agent().openSession("Ahead C").block(WAIT);
        ClientSession s = fleet.openSession("Two lines").block(WAIT);
        RecorderId a0 = RecorderId.of("node-a/sim-0");
        RecorderId c0 = RecorderId.of("node-c/sim-0");
        List<String> threads = new CopyOnWriteArrayList<>();
        try {
            holderA.acquire(RecorderId.of("sim-0")).block(WAIT);
            holderC.acquire(RecorderId.of("sim-0")).block(WAIT);
            AtomicReference<Object> ahead = new AtomicReference<>();
            aheadC.acquire(RecorderId.of("sim-0"), AcquireOptions.waitUpTo(WAIT)).subscribe(ahead::set, ahead::set);
            await("node-c has the local waiter", () -> c.service.agent().statistics().waiting() == 1);
            AtomicReference<Object> onA = new AtomicReference<>();
            AtomicReference<Object> onC = new AtomicReference<>();
            s.acquire(a0, AcquireOptions.waitUpTo(WAIT)).subscribe(g -> {
                threads.add(thread());
                onA.set(g);
            }, onA::set);
            s.acquire(c0, AcquireOptions.waitUpTo(WAIT)).subscribe(g -> {
                threads.add(thread());
                onC.set(g);
            }, onC::set);
            await("both owning nodes have the fleet's waiter", () -> a.service.agent().statistics().waiting() == 1
                    && c.service.agent().statistics().waiting() == 2);
            Map<RecorderId, Integer> places = s.placesInLine().block(WAIT);
            assertThat(places).isEqualTo(Map.of(a0, 1, c0, 2));
            holderC.release(RecorderId.of("sim-0")).block(WAIT);
            await("the local waiter ahead on node-c granted", () -> ahead.get() instanceof LockGrant);
            await("the fleet's place on node-c moved up", () -> s.placesInLine().block(WAIT)
                    .equals(Map.of(a0, 1, c0, 1)));
            assertThat(onC.get()).as("not granted while the local waiter holds it").isNull();
            aheadC.release(RecorderId.of("sim-0")).block(WAIT);
            holderA.release(RecorderId.of("sim-0")).block(WAIT);
            await("both granted", () -> onA.get() != null && onC.get() != null);
            assertThat(onA.get()).isInstanceOf(LockGrant.class);
            assertThat(onC.get()).isInstanceOf(LockGrant.class);
            assertThat(s.placesInLine().block(WAIT)).isEmpty();
            assertThat(List.of(s.lockCount(a0).block(WAIT), s.lockCount(c0).block(WAIT))).containsExactly(1, 1);
            assertThat(c.lock("sim-0").getString("owner")).isEqualTo("node-a: Two lines");
        } finally {
            s.close().block(WAIT);
            holderA.close().block(WAIT);
            holderC.close().block(WAIT);
            aheadC.close().block(WAIT);
        }
        FleetSupport.awaitEveryDriveFreeAndNoWaiter(started);
        assertThat(threads).allMatch(FleetAgentAdversary2Tests::onLoop);
    }

    @Test
    @Order(4)
    void acquireEachOfSixtyRequestsOnThreeNodesTakesOneRequestAtATimeAndCountsExactly() {
        ClientSession s = fleet.openSession("Each").block(WAIT);
        List<String> ids = List.of("node-a/sim-0", "node-b/sim-1", "node-c/sim-0", "node-c/sim-1");
        java.util.concurrent.atomic.AtomicInteger emitted = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger granted = new java.util.concurrent.atomic.AtomicInteger();
        List<String> wrong = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        try {
            Flux<io.discagent.api.AcquireRequest> requests = Flux.range(0, 60).map(i -> {
                int ahead = emitted.incrementAndGet() - granted.get();
                if (ahead > 1) {
                    wrong.add("request " + i + " taken with " + ahead + " requests not yet granted");
                }
                return new io.discagent.api.AcquireRequest(RecorderId.of(ids.get(i % ids.size())),
                        AcquireOptions.waitUpTo(WAIT));
            });
            List<LockGrant> grants = s.acquireEach(requests).doOnNext(g -> {
                threads.add(thread());
                granted.incrementAndGet();
            }).collectList().block(Duration.ofSeconds(60));
            assertThat(grants).hasSize(60);
            for (int i = 0; i < 60; i++) {
                LockGrant g = grants.get(i);
                if (!g.recorder().value().equals(ids.get(i % ids.size())) || g.lockCount() != i / ids.size() + 1) {
                    wrong.add("grant " + i + ": " + g.recorder() + " count " + g.lockCount());
                }
            }
            for (String id : ids) {
                Integer count = s.lockCount(RecorderId.of(id)).block(WAIT);
                TestService owner = id.startsWith("node-a") ? a : id.startsWith("node-b") ? b : c;
                Integer there = owner.lock(id.substring(7)).getInteger("count");
                if (count != 15 || there != 15) {
                    wrong.add(id + ": session " + count + ", owning node " + there);
                }
            }
        } finally {
            s.close().block(WAIT);
        }
        FleetSupport.awaitEveryDriveFreeAndNoWaiter(started);
        assertThat(wrong).isEmpty();
        assertThat(threads).allMatch(FleetAgentAdversary2Tests::onLoop);
    }

    @Test
    @Order(6)
    void sessionsOpenedAcquiringAndClosedInAStormFromManyThreadsLeaveNothingHeld() throws Exception {
        List<String> wrong = new CopyOnWriteArrayList<>();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        List<ClientSession> sessions = new CopyOnWriteArrayList<>();
        for (int k = 0; k < 6; k++) {
            int thread = k;
            all.add(CompletableFuture.runAsync(() -> {
                for (int round = 0; round < 8; round++) {
                    ClientSession s = fleet.openSession("Storm " + thread + " " + round).block(WAIT);
                    sessions.add(s);
                    RecorderId id = RecorderId.of(List.of("node-a/sim-1", "node-b/sim-0", "node-b/sim-1",
                            "node-c/sim-1").get((thread + round) % 4));
                    AtomicReference<Object> end = new AtomicReference<>();
                    s.acquire(id, AcquireOptions.waitUpTo(Duration.ofSeconds(30))).subscribe(end::set, end::set);
                    if (round % 2 == 0) {
                        long deadline = System.nanoTime() + WAIT.toNanos();
                        while (end.get() == null && System.nanoTime() < deadline) {
                            Thread.onSpinWait();
                        }
                    }
                    s.close().block(WAIT);
                    String after = outcome(() -> s.lockCount(id));
                    if (!after.startsWith("SessionClosedException 0x80010108")) {
                        wrong.add(s.clientName() + ": lockCount after close " + after);
                    }
                }
            }));
        }
        for (CompletableFuture<Void> f : all) {
            f.get(120, TimeUnit.SECONDS);
        }
        FleetSupport.awaitEveryDriveFreeAndNoWaiter(started);
        assertThat(sessions).hasSize(48).noneMatch(ClientSession::isOpen);
        assertThat(wrong).isEmpty();
    }

    @Test
    @Order(12)
    void aMemberThatLeavesWhileAFleetSessionWaitsOnItsDriveFailsTheWaiterTypedAndLeavesTheSurvivorsFree()
            throws Exception {
        loseNodeC();
        TestService back = started.stream().filter(t -> t != a && t != b).findFirst().orElseThrow();
        FleetSupport.awaitView(a, v -> FleetSupport.reachable(v).size() == 3 && v.recorders().size() == 6);
        ClientSession s = fleet.openSession("Leave").block(WAIT);
        ClientSession local = back.service.agent().openSession("Local C").block(WAIT);
        List<String> threads = new CopyOnWriteArrayList<>();
        try {
            s.acquire(RecorderId.of("node-b/sim-1")).block(WAIT);
            LockGrant held = s.acquire(RecorderId.of("node-c/sim-1")).block(WAIT);
            local.acquire(RecorderId.of("sim-0")).block(WAIT);
            AtomicReference<Object> waitEnd = new AtomicReference<>();
            s.acquire(RecorderId.of("node-c/sim-0"), AcquireOptions.waitIndefinitely()).subscribe(waitEnd::set, e -> {
                threads.add(thread());
                waitEnd.set(e);
            });
            await("node-c has the waiter", () -> back.service.agent().statistics().waiting() == 1);
            node(back).leave().get(40, TimeUnit.SECONDS);
            await("node-c's recorders gone from the fleet agent", () -> fleet.recorders().block(WAIT).stream()
                    .noneMatch(r -> r.id().value().startsWith("node-c/")));
            await("the indefinite wait on node-c ended", () -> waitEnd.get() != null);
            assertThat(waitEnd.get()).isInstanceOf(RecorderException.class);
            assertThat(s.placesInLine().block(WAIT)).isEmpty();
            assertThat(s.lockCount(RecorderId.of("node-b/sim-1")).block(WAIT)).isEqualTo(1);
            System.out.println("leave: the indefinite wait ended with " + waitEnd.get() + "; the session's count of"
                    + " node-c/sim-1 it held: " + outcome(() -> s.lockCount(held.recorder())) + ", release: "
                    + outcome(() -> s.release(held)));
            assertThat(s.release(RecorderId.of("node-b/sim-1")).block(WAIT)).isZero();
        } finally {
            s.close().block(WAIT);
            started.remove(back);
            back.close();
        }
        FleetSupport.awaitEveryDriveFreeAndNoWaiter(started);
        assertThat(threads).allMatch(FleetAgentAdversary2Tests::onLoop);
    }

    // ---------------------------------------------------------------- the WebSocket

    @Test
    @Order(5)
    void manyWebSocketClientsEachGetTheSnapshotAndEveryChangeAndOneThatNeverReadsIsCutOff() throws Exception {
        List<EventStreamTests.WsClient> clients = new ArrayList<>();
        List<java.net.http.WebSocket> sockets = new ArrayList<>();
        java.net.URI uri = java.net.URI.create(a.base.replace("http:", "ws:") + "/api/v1/fleet/events/ws");
        for (int i = 0; i < 30; i++) {
            EventStreamTests.WsClient client = new EventStreamTests.WsClient();
            sockets.add(a.http.newWebSocketBuilder().buildAsync(uri, client).join());
            clients.add(client);
        }
        for (EventStreamTests.WsClient client : clients) {
            assertThat(client.next().getString("type")).isEqualTo("snapshot");
        }
        // the never-reading client: a raw WebSocket handshake on a socket with a tiny receive buffer, never read
        java.net.URI http = java.net.URI.create(a.base);
        java.net.Socket raw = new java.net.Socket();
        raw.setReceiveBufferSize(4096);
        raw.connect(new java.net.InetSocketAddress(http.getHost(), http.getPort()), 5000);
        raw.getOutputStream().write(("GET /api/v1/fleet/events/ws HTTP/1.1\r\nHost: " + http.getHost() + ":"
                + http.getPort() + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        raw.getOutputStream().flush();
        // churn on two nodes for a while: every change is a fleet event
        AtomicBoolean churning = new AtomicBoolean(true);
        List<CompletableFuture<Void>> churn = new ArrayList<>();
        for (TestService t : List.of(a, b)) {
            for (int k = 0; k < 2; k++) {
                String id = "sim-" + k;
                churn.add(CompletableFuture.runAsync(() -> {
                    ClientSession s = t.service.agent().openSession("Ws churn").block(WAIT);
                    while (churning.get()) {
                        s.acquire(RecorderId.of(id)).block(WAIT);
                        s.release(RecorderId.of(id)).block(WAIT);
                    }
                    s.close().block(WAIT);
                }));
            }
        }
        long since = System.nanoTime();
        long until = since + Duration.ofSeconds(60).toNanos();
        EventStreamTests.WsClient counted = clients.get(0);
        List<java.util.Set<String>> seen = new ArrayList<>();
        clients.forEach(x -> seen.add(new java.util.HashSet<>()));
        long bytes = 0;
        int messages = 0;
        while (System.nanoTime() < until && bytes < 6_000_000) {
            JsonObject m = counted.messages.poll(100, TimeUnit.MILLISECONDS);
            for (int i = 1; i < clients.size(); i++) {
                while (clients.get(i).messages.size() > 50) {
                    JsonObject other = clients.get(i).messages.poll();
                    if (other != null) {
                        seen.get(i).add(other.getString("node") + "/" + other.getString("type"));
                    }
                }
            }
            if (m != null) {
                messages++;
                bytes += m.encode().length();
            }
        }
        churning.set(false);
        for (CompletableFuture<Void> f : churn) {
            f.get(40, TimeUnit.SECONDS);
        }
        // every reading client got events of both nodes and no error/close message
        List<String> wrong = new ArrayList<>();
        for (int i = 1; i < clients.size(); i++) {
            for (JsonObject m : clients.get(i).messages) {
                seen.get(i).add(m.getString("node") + "/" + m.getString("type"));
            }
            if (!seen.get(i).equals(java.util.Set.of("node-a/lock", "node-b/lock"))) {
                wrong.add("client " + i + " saw " + seen.get(i));
            }
        }
        // the never-reading client: its connection must have been closed (1008) rather than buffered for
        raw.setSoTimeout(5000);
        java.io.InputStream in = raw.getInputStream();
        byte[] buf = new byte[65536];
        long rawBytes = 0;
        boolean eof = false;
        java.io.ByteArrayOutputStream tail = new java.io.ByteArrayOutputStream();
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                rawBytes += n;
                tail.write(buf, 0, n);
                if (tail.size() > 1 << 20) {
                    byte[] last = java.util.Arrays.copyOfRange(tail.toByteArray(), tail.size() - 4096, tail.size());
                    tail.reset();
                    tail.write(last);
                }
            }
            eof = true;
        } catch (java.net.SocketTimeoutException e) {
            eof = false;
        }
        raw.close();
        String end = new String(tail.toByteArray(), java.nio.charset.StandardCharsets.ISO_8859_1);
        boolean closeFrame1008 = end.contains("\u0088") && end.contains("\u0003\u00f0");
        System.out.println("fleet WebSocket under churn: a reading client got " + messages + " messages (" + bytes
                + " bytes of JSON) in " + (System.nanoTime() - since) / 1_000_000 + " ms; the never-reading client read afterwards " + rawBytes + " bytes, "
                + (eof ? "then the end of the connection" : "and the connection stayed open") + ", close 1008 seen "
                + closeFrame1008);
        sockets.forEach(java.net.http.WebSocket::abort);
        FleetSupport.awaitEveryDriveFreeAndNoWaiter(started);
        assertThat(wrong).isEmpty();
        assertThat(eof).as("docs/fleet.md: a client whose connection takes no more is cut off (code 1008) instead of"
                + " being buffered for; it read " + rawBytes + " bytes after " + messages + " events").isTrue();
    }

    // ---------------------------------------------------------------- a closed fleet agent

    private FleetAgent closedAgent() {
        FleetAgent agent = node(b).agent();
        agent.close().block(WAIT);
        return agent;
    }

    @Test
    @Order(21)
    void theStreamsOfAClosedFleetAgentCompleteOnAnEventLoopNotOnTheSubscribersThread() {
        FleetAgent closing = closedAgent();
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, Supplier<Publisher<?>>> stream : Map.<String, Supplier<Publisher<?>>>of(
                "events", closing::events, "lockTransitions", closing::lockTransitions, "deviceEvents",
                closing::deviceEvents, "timeouts", closing::timeouts, "burnEvents", closing::burnEvents).entrySet()) {
            String o = outcome(stream.getValue());
            if (!o.equals("completed on the event loop")) {
                wrong.add(stream.getKey() + " of a closed fleet agent: " + o);
            }
        }
        List<String> local = new ArrayList<>();
        try (TestService alone = TestService.start()) {
            io.discagent.api.RecorderAgent agent = alone.service.agent();
            agent.close().block(WAIT);
            local.add("events " + outcome(agent::events));
            local.add("lockTransitions " + outcome(agent::lockTransitions));
            local.add("timeouts " + outcome(agent::timeouts));
        }
        assertThat(wrong).as("RecorderAgent: every Mono and Flux of this API signals on the agent's event loop"
                + " thread; FleetAgent: every signal comes from the fleet's event loop (a closed local agent: %s)",
                local).isEmpty();
    }

    @Test
    @Order(20)
    void aClosedFleetAgentAnswersTypedOnTheEventLoopAndNodeAgentGivesItBack() {
        FleetAgent closing = closedAgent();
        List<String> wrong = new ArrayList<>();
        String open = outcome(() -> closing.openSession("After close"));
        if (!open.equals("RequestCancelledException 0xC0AA0002 on the event loop")) {
            wrong.add("openSession on a closed fleet agent: " + open);
        }
        String list = outcome(closing::recorders);
        if (list.contains("untyped") || !list.endsWith("on the event loop")) {
            wrong.add("recorders() of a closed fleet agent: " + list);
        }
        FleetAgent again = node(b).agent();
        String reopened = outcome(() -> again.openSession("Again").flatMap(s -> s.acquire(
                RecorderId.of("node-a/sim-0")).flatMap(g -> s.close().thenReturn(g.lockCount()))));
        // observed: node.agent() gives the same, closed agent back (FleetNode's javadoc was not read for this test)
        if (again != closing || !reopened.equals("RequestCancelledException 0xC0AA0002 on the event loop")) {
            wrong.add("node.agent() after close (" + (again == closing ? "the same, closed object" : "a new one")
                    + "): open, acquire, close answered " + reopened);
        }
        FleetSupport.awaitEveryDriveFreeAndNoWaiter(started);
        assertThat(wrong).isEmpty();
    }

    // ---------------------------------------------------------------- node loss and return

    private final List<DeviceEvent> devices = new CopyOnWriteArrayList<>();
    private final List<String> lossThreads = new CopyOnWriteArrayList<>();
    private ClientSession lossSession;
    private String lossBefore = "";

    private final List<String> lossWrong = new ArrayList<>();
    private String lossBody = "";
    private boolean lost;

    @Test
    @Order(10)
    void aMemberClosedWhileAFleetWithLockBodyHoldsItsDriveEndsTheBodyTypedOnceTheFleetShowsItsRecordersRemoved()
            throws Exception {
        loseNodeC();
        assertThat(lossBody).as("ClientSession.withLock: the body never outlives its lock; docs/fleet.md: a node that"
                + " becomes unreachable shows as the removal of its recorders, RecorderRemovedException when the"
                + " owning node removed the recorder").isEmpty();
    }

    @Test
    @Order(9)
    void aMemberClosedWhileAFleetSessionWaitsOnItsDriveAndHoldsASurvivorsFailsTheWaiterTypedAndKeepsTheSurvivor()
            throws Exception {
        loseNodeC();
        assertThat(lossWrong).isEmpty();
    }

    /** Once per class: node-c closes while node-a's fleet sessions hold and wait on its drives. */
    private synchronized void loseNodeC() throws Exception {
        if (lost) {
            return;
        }
        lost = true;
        Disposable watching = fleet.deviceEvents().subscribe(e -> {
            lossThreads.add(thread());
            devices.add(e);
        });
        ClientSession s = fleet.openSession("Loss").block(WAIT);
        lossSession = s;
        ClientSession waiter = fleet.openSession("Waiter").block(WAIT);
        ClientSession localC = c.service.agent().openSession("Local C").block(WAIT);
        RecorderId c0 = RecorderId.of("node-c/sim-0");
        RecorderId c1 = RecorderId.of("node-c/sim-1");
        RecorderId b0 = RecorderId.of("node-b/sim-0");
        List<String> wrong = new ArrayList<>();
        AtomicReference<Object> bodyEnd = new AtomicReference<>();
        AtomicBoolean cancelled = new AtomicBoolean();
        long shown;
        try {
            // a survivor's hold, two counts
            s.acquire(b0).block(WAIT);
            s.acquire(b0).block(WAIT);
            // a withLock body on node-c/sim-0
            CountDownLatch running = new CountDownLatch(1);
            s.withLock(c0, AcquireOptions.waitUpTo(WAIT), g -> Flux.never().doOnSubscribe(x -> running.countDown())
                    .doOnCancel(() -> cancelled.set(true))).subscribe(x -> { }, e -> {
                        lossThreads.add(thread());
                        bodyEnd.set(e);
                    }, () -> bodyEnd.set("completed"));
            assertThat(running.await(20, TimeUnit.SECONDS)).isTrue();
            // a waiter on node-c/sim-1, held by node-c's own client
            localC.acquire(RecorderId.of("sim-1")).block(WAIT);
            AtomicReference<Object> waitEnd = new AtomicReference<>();
            waiter.acquire(c1, AcquireOptions.waitUpTo(Duration.ofSeconds(5))).subscribe(g -> waitEnd.set(g), e -> {
                lossThreads.add(thread());
                waitEnd.set(e);
            });
            await("node-c has the waiter", () -> c.service.agent().statistics().waiting() == 1);
            Map<RecorderId, Integer> places = waiter.placesInLine().block(WAIT);
            if (!places.equals(Map.of(c1, 1))) {
                wrong.add("place in line before the loss: " + places);
            }

            long lost = System.nanoTime();
            started.remove(c);
            c.close();

            await("node-a's fleet agent lists no node-c recorder", () -> fleet.recorders().block(WAIT).stream()
                    .noneMatch(r -> r.id().value().startsWith("node-c/")));
            await("the removals of node-c's recorders shown", () -> devices.stream().filter(
                    e -> e instanceof RecorderRemovedEvent && e.recorder().value().startsWith("node-c/")).count() == 2);
            shown = System.nanoTime();
            await("the pending acquire on node-c ended", () -> waitEnd.get() != null);
            long waitEnded = System.nanoTime();
            if (!(waitEnd.get() instanceof RecorderException)) {
                wrong.add("the pending acquire on the lost node ended with " + waitEnd.get());
            }
            Integer countB = s.lockCount(b0).block(WAIT);
            if (countB != 2 || b.lock("sim-0").getInteger("count") != 2) {
                wrong.add("the survivor's hold changed: session " + countB + ", node-b " + b.lock("sim-0"));
            }
            String placesAfter = String.valueOf(waiter.placesInLine().block(WAIT));
            if (!placesAfter.equals("{}")) {
                wrong.add("places in line after the loss: " + placesAfter);
            }
            s.release(b0).block(WAIT);
            s.release(b0).block(WAIT);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (bodyEnd.get() == null && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            lossBefore = "lockCount(node-c/sim-0) while node-c was gone: " + outcome(() -> s.lockCount(c0));
            System.out.println("node loss: removals shown " + (shown - lost) / 1_000_000 + " ms after the close,"
                    + " the pending acquire ended after " + (waitEnded - lost) / 1_000_000 + " ms with "
                    + waitEnd.get() + "; the withLock body: ended with " + bodyEnd.get() + ", " + lossBefore);
            if (!(bodyEnd.get() instanceof RecorderException) || !cancelled.get()) {
                lossBody = ("the withLock body on node-c/sim-0, 20 s after node-a's fleet agent showed node-c's"
                        + " recorders removed (and failed the waiter on node-c/sim-1 with " + waitEnd.get()
                        + "): ended with " + bodyEnd.get() + ", cancelled " + cancelled.get() + "; " + lossBefore);
                lossBody += "; then a release of node-c/sim-0: " + outcome(() -> s.release(c0));
            }
        } finally {
            waiter.close().block(WAIT);
        }
        lossThreads.stream().filter(t -> !onLoop(t)).forEach(t -> wrong.add("a signal on " + t));
        lossWrong.addAll(wrong);
    }

    @Test
    @Order(11)
    void aLostMembersReturnUnderTheSameNameShowsItsRecordersArrivedAndASessionStartsFromZeroThere() throws Exception {
        loseNodeC();
        ClientSession s = lossSession;
        RecorderId c0 = RecorderId.of("node-c/sim-0");
        List<String> wrong = new ArrayList<>();
        try {
            TestService c2 = FleetSupport.member("node-c", new int[] {ports[0], ports[1], ports[3]}, 2, secret,
                    cfg -> { });
            started.add(c2);
            await("node-c's recorders back in the fleet agent", () -> fleet.recorders().block(WAIT).stream()
                    .filter(r -> r.id().value().startsWith("node-c/")).count() == 2);
            await("their arrival shown", () -> devices.stream().filter(e -> e instanceof RecorderArrivedEvent
                    && e.recorder().value().startsWith("node-c/")).count() >= 2);
            String countAfter = outcome(() -> s.lockCount(c0));
            LockGrant fresh = s.acquire(c0, AcquireOptions.waitUpTo(WAIT)).block(WAIT);
            if (!countAfter.equals("value 0 on the event loop") || fresh.lockCount() != 1) {
                wrong.add("node-c/sim-0 after node-c's return: lockCount " + countAfter + " (" + lossBefore
                        + "), a new acquire's count " + fresh.lockCount() + ", the new node-c shows "
                        + c2.lock("sim-0"));
            }
            Integer rel = s.release(fresh).block(WAIT);
            if (rel != 0) {
                wrong.add("release of the fresh grant answered " + rel + ", the new node-c shows " + c2.lock("sim-0"));
            }
        } finally {
            s.close().block(WAIT);
        }
        FleetSupport.awaitEveryDriveFreeAndNoWaiter(started);
        assertThat(lossThreads).allMatch(FleetAgentAdversary2Tests::onLoop);
        assertThat(wrong).as("ClientSession.lockCount: 0 when the session does not hold it").isEmpty();
    }

    // ---------------------------------------------------------------- helpers

    /** How a call ends when subscribed from a thread that is no event loop: its error, HRESULT and thread. */
    private static String outcome(Supplier<Publisher<?>> call) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Schedulers.single().schedule(() -> {
            Publisher<?> publisher;
            try {
                publisher = call.get();
            } catch (Throwable e) {
                result.complete("thrown synchronously: " + e);
                return;
            }
            Flux.from(publisher).take(1).subscribe(x -> result.complete("value " + x + where()),
                    e -> result.complete(describe(e)), () -> result.complete("completed" + where()));
        });
        try {
            return result.get(WAIT.toSeconds() + 15, TimeUnit.SECONDS);
        } catch (Exception e) {
            return "no answer: " + e;
        }
    }

    private static String where() {
        return onLoop(thread()) ? " on the event loop" : " on " + thread();
    }

    private static String describe(Throwable e) {
        return e instanceof RecorderException r
                ? e.getClass().getSimpleName() + " " + r.hresult().hex() + where()
                : e.getClass().getSimpleName() + " (untyped: " + e.getMessage() + ")" + where();
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) {
        FleetSupport.await(what, condition);
    }
}
