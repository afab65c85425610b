package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderAgent;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.RecorderSelector;
import io.discagent.api.error.BurnNotSupportedException;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.SessionClosedException;
import io.discagent.api.event.LockTransition;
import io.discagent.service.fleet.FleetAgent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The fleet as a {@code RecorderAgent} ({@code FleetNode.agent()}): code written against one agent, run against the
 * fleet from another node, with recorder ids qualified by node. Two real members on loopback, two simulated recorders
 * each; every test leaves every drive free and every FIFO empty (checked after each).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetAgentTests {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private final List<TestService> started = new ArrayList<>();
    private TestService a;
    private TestService b;
    private FleetAgent fleet;
    private final List<ClientSession> opened = new CopyOnWriteArrayList<>();

    @BeforeAll
    void fleet() {
        started.addAll(FleetSupport.pair());
        a = started.get(0);
        b = started.get(1);
        fleet = a.service.fleet().node().orElseThrow().agent();
    }

    @AfterEach
    void everyDriveFreeAndNoWaiterLeft() {
        // a test that failed half-way leaves nothing behind for the next: its sessions close here (again)
        opened.forEach(s -> s.close().onErrorComplete().block(WAIT));
        opened.clear();
        FleetSupport.awaitEveryDriveFreeAndNoWaiter(started);
    }

    /** A session of {@code agent} that is closed after the test whatever happens. */
    private ClientSession open(RecorderAgent agent, String clientName) {
        ClientSession s = agent.openSession(clientName).block(WAIT);
        opened.add(s);
        return s;
    }

    @AfterAll
    void stop() {
        started.forEach(TestService::close);
    }

    /** What a client of one agent does: re-entrant counts, owner, release to free, withLock, the typed errors. */
    private List<String> aClientOf(RecorderAgent agent, RecorderId recorder) {
        List<String> seen = new ArrayList<>();
        ClientSession s = open(agent, "Archiver");
        ClientSession other = open(agent, "Kiosk");
        seen.add("count " + s.acquire(recorder).block(WAIT).lockCount());
        seen.add("count " + s.acquire(recorder).block(WAIT).lockCount());
        seen.add("lockCount " + s.lockCount(recorder).block(WAIT));
        seen.add("other " + failure(other.acquire(recorder)));
        seen.add("release " + s.release(recorder).block(WAIT));
        seen.add("release " + s.release(recorder).block(WAIT));
        seen.add("again " + failure(s.release(recorder)));
        seen.add("withLock " + other.withLock(recorder, AcquireOptions.waitUpTo(WAIT),
                g -> Flux.just(g.lockCount(), g.lockCount() * 10)).collectList().block(WAIT));
        seen.add("lockCount " + other.lockCount(recorder).block(WAIT));
        s.close().block(WAIT);
        seen.add("closed " + failure(s.acquire(recorder)));
        other.close().block(WAIT);
        return seen;
    }

    private static String failure(Mono<?> call) {
        try {
            return "no failure: " + call.block(WAIT);
        } catch (RecorderException e) {
            return e.getClass().getSimpleName() + " " + e.hresult();
        }
    }

    @Test
    void codeWrittenAgainstOneAgentGivesTheSameAnswersAgainstTheFleet() {
        List<String> local = aClientOf(b.service.agent(), RecorderId.of("sim-0"));
        List<String> remote = aClientOf(fleet, RecorderId.of("node-b/sim-0"));
        assertThat(remote).isEqualTo(local);
        assertThat(local).contains("count 2", "release 0", "withLock [1, 10]");
    }

    @Test
    void theFleetListsEveryRecorderOfEveryNodeWithItsNodeAndItsOwningNodeCountsExactly() {
        assertThat(fleet.recorders().block(WAIT)).extracting(RecorderInfo::id).extracting(RecorderId::value)
                .containsExactlyInAnyOrder("node-a/sim-0", "node-a/sim-1", "node-b/sim-0", "node-b/sim-1");
        ClientSession s = open(fleet, "Workflow");
        RecorderId onB = RecorderId.of("node-b/sim-1");
        s.acquire(onB).block(WAIT);
        s.acquire(onB).block(WAIT);
        assertThat(b.lock("sim-1").getString("owner")).isEqualTo("node-a: Workflow");
        assertThat(b.lock("sim-1").getInteger("count")).isEqualTo(2);
        await("the fleet shows the owner", () -> "node-a: Workflow".equals(fleet.exclusiveAccessOwner(onB)
                .block(WAIT)));
        RecorderInfo info = fleet.recorder(onB).block(WAIT);
        assertThat(info.lockState().count()).isEqualTo(2);
        assertThat(fleet.media(onB).block(WAIT).writable()).isTrue();
        s.close().block(WAIT);
        await("node-b freed its drive when the fleet session closed",
                () -> b.lock("sim-1").getString("state").equals("free"));
    }

    @Test
    void aFleetWaiterIsHandedTheDriveWhenItsLocalHolderReleasesAndSeesItsPlaceMeanwhile() throws Exception {
        ClientSession holder = open(b.service.agent(), "Local");
        holder.acquire(RecorderId.of("sim-0")).block(WAIT);
        ClientSession waiter = open(fleet, "Waiter");
        List<String> threads = new CopyOnWriteArrayList<>();
        CountDownLatch granted = new CountDownLatch(1);
        List<LockGrant> got = new CopyOnWriteArrayList<>();
        waiter.acquire(RecorderId.of("node-b/sim-0"), AcquireOptions.waitIndefinitely())
                .subscribe(g -> {
                    threads.add(Thread.currentThread().getName());
                    got.add(g);
                    granted.countDown();
                });
        await("the waiter queued on node-b", () -> b.service.agent().statistics().waiting() == 1);
        assertThat(waiter.placesInLine().block(WAIT)).isEqualTo(Map.of(RecorderId.of("node-b/sim-0"), 1));
        holder.release(RecorderId.of("sim-0")).block(WAIT);
        assertThat(granted.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(got.get(0).recorder()).isEqualTo(RecorderId.of("node-b/sim-0"));
        assertThat(got.get(0).lockCount()).isEqualTo(1);
        assertThat(threads).allMatch(name -> name.startsWith("vert.x-eventloop-thread"), "signalled on an event loop");
        assertThat(waiter.release(got.get(0)).block(WAIT)).isZero();
        assertThat(waiter.release(got.get(0)).block(WAIT)).as("a grant releases once").isZero();
        waiter.close().block(WAIT);
        holder.close().block(WAIT);
    }

    @Test
    void aFleetWaiterThatWaitsLongerThanItsRemoteLeaseKeepsItsPlaceAndIsGranted() throws Exception {
        // the owning node keeps a remote session for twice the stale limit (6 s here) unless it is renewed: a session
        // whose only business there is a waiting acquire is renewed too
        ClientSession holder = open(b.service.agent(), "Local");
        holder.acquire(RecorderId.of("sim-0")).block(WAIT);
        ClientSession waiter = open(fleet, "Patient");
        CountDownLatch granted = new CountDownLatch(1);
        List<Object> answers = new CopyOnWriteArrayList<>();
        waiter.acquire(RecorderId.of("node-b/sim-0"), AcquireOptions.waitIndefinitely())
                .subscribe(g -> {
                    answers.add(g);
                    granted.countDown();
                }, failed -> {
                    answers.add(failed);
                    granted.countDown();
                });
        await("the waiter queued on node-b", () -> b.service.agent().statistics().waiting() == 1);
        long lease = 2 * 3_000;
        assertThat(granted.await(lease + 3_000, TimeUnit.MILLISECONDS)).as("answered while waiting: " + answers)
                .isFalse(); // real time: the lease is the fleet's own timer on the owning node
        assertThat(waiter.placesInLine().block(WAIT)).isEqualTo(Map.of(RecorderId.of("node-b/sim-0"), 1));
        holder.release(RecorderId.of("sim-0")).block(WAIT);
        assertThat(granted.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(answers).singleElement().isInstanceOf(LockGrant.class);
        assertThat(b.lock("sim-0").getString("owner")).isEqualTo("node-a: Patient");
        assertThat(waiter.release(RecorderId.of("node-b/sim-0")).block(WAIT)).isZero();
    }

    @Test
    void aFleetAcquireDisposedWhileTheHolderReleasesNeverLeavesTheDriveHeld() {
        ClientSession holder = open(b.service.agent(), "Local");
        ClientSession waiter = open(fleet, "Racer");
        RecorderId local = RecorderId.of("sim-1");
        RecorderId remote = RecorderId.of("node-b/sim-1");
        int kept = 0;
        for (int round = 0; round < 40; round++) {
            // a grant the round before gave back may still be on its way back to node-b: wait for it
            holder.acquire(local, AcquireOptions.waitUpTo(Duration.ofSeconds(10))).block(WAIT);
            List<LockGrant> got = new CopyOnWriteArrayList<>();
            Disposable d = waiter.acquire(remote, AcquireOptions.waitUpTo(WAIT)).subscribe(got::add);
            int r = round;
            await("round " + r + ": queued", () -> b.service.agent().statistics().waiting() == 1);
            Mono<Integer> release = holder.release(local);
            if (ThreadLocalRandom.current().nextBoolean()) {
                release.subscribe();
                d.dispose();
            } else {
                d.dispose();
                release.subscribe();
            }
            await("round " + r + ": the drive is free or the waiter's", () -> {
                String state = b.lock("sim-1").getString("state");
                return state.equals("free") && got.isEmpty() || state.equals("held") && !got.isEmpty()
                        && b.lock("sim-1").getString("owner").equals("node-a: Racer");
            });
            for (LockGrant g : got) {
                kept++;
                waiter.release(g).block(WAIT);
            }
            await("round " + r + ": free again", () -> b.lock("sim-1").getString("state").equals("free"));
        }
        assertThat(waiter.lockCount(remote).block(WAIT)).isZero();
        waiter.close().block(WAIT);
        holder.close().block(WAIT);
        assertThat(kept).isBetween(0, 40);
    }

    @Test
    void aWithLockBodyIsCancelledAndFailsWithTheCauseWhenItsSessionCloses() throws Exception {
        ClientSession s = open(fleet, "Burner");
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch cancelled = new CountDownLatch(1);
        List<Throwable> failed = new CopyOnWriteArrayList<>();
        s.withLock(RecorderId.of("node-b/sim-0"), AcquireOptions.waitUpTo(WAIT), g -> Flux.never()
                .doOnSubscribe(sub -> running.countDown()).doOnCancel(cancelled::countDown))
                .subscribe(x -> { }, failed::add);
        assertThat(running.await(20, TimeUnit.SECONDS)).isTrue();
        s.close().block(WAIT);
        assertThat(cancelled.await(20, TimeUnit.SECONDS)).isTrue();
        await("withLock failed", () -> !failed.isEmpty());
        assertThat(failed.get(0)).isInstanceOf(SessionClosedException.class);
        await("node-b's drive free", () -> b.lock("sim-0").getString("state").equals("free"));
    }

    @Test
    void aWithLockBodyWhoseSessionReleasesToZeroFailsWithLockNotHeld() {
        ClientSession s = open(fleet, "Careless");
        RecorderId onB = RecorderId.of("node-b/sim-0");
        assertThatThrownBy(() -> s.withLock(onB, AcquireOptions.waitUpTo(WAIT),
                g -> s.release(onB).then(Mono.never())).blockLast(WAIT)).isInstanceOf(LockNotHeldException.class);
        s.close().block(WAIT);
    }

    @Test
    void aPoolOfTheFleetGrantsTheFreeOneAndTheStreamsShowItPerNode() {
        ClientSession local = open(b.service.agent(), "Local");
        local.acquire(RecorderId.of("sim-0")).block(WAIT);
        List<LockTransition> seen = new CopyOnWriteArrayList<>();
        Disposable watching = fleet.lockTransitions(RecorderId.of("node-b/sim-1")).subscribe(seen::add);
        ClientSession s = open(fleet, "Pool user");
        LockGrant g = s.acquireAny(RecorderSelector.anyOf(RecorderId.of("node-b/sim-0"),
                RecorderId.of("node-b/sim-1")), AcquireOptions.waitUpTo(WAIT)).block(WAIT);
        assertThat(g.recorder()).isEqualTo(RecorderId.of("node-b/sim-1"));
        s.release(g).block(WAIT);
        await("acquired and released seen", () -> seen.stream().map(LockTransition::cause).toList()
                .containsAll(List.of(LockTransition.Cause.SNAPSHOT, LockTransition.Cause.ACQUIRED,
                        LockTransition.Cause.RELEASED)));
        assertThat(seen).filteredOn(t -> t.cause() == LockTransition.Cause.ACQUIRED).first()
                .satisfies(t -> assertThat(t.to().owner()).isEqualTo("node-a: Pool user"));
        watching.dispose();
        s.close().block(WAIT);
        local.close().block(WAIT);
    }

    @Test
    void badInputGetsTypedErrorsOnTheEventLoop() {
        ClientSession s = open(fleet, "Checker");
        assertThatThrownBy(() -> s.acquire(null).block(WAIT)).isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> s.acquire(RecorderId.of("sim-0")).block(WAIT))
                .isInstanceOf(RecorderRemovedException.class).hasMessageContaining("node/recorder");
        assertThatThrownBy(() -> s.acquire(RecorderId.of("node-z/sim-0")).block(WAIT))
                .isInstanceOf(RecorderRemovedException.class);
        assertThatThrownBy(() -> fleet.recorder(RecorderId.of("node-b/sim-9")).block(WAIT))
                .isInstanceOf(RecorderRemovedException.class);
        assertThatThrownBy(() -> fleet.openSession("bad/name").block(WAIT))
                .isInstanceOf(io.discagent.api.error.InvalidClientNameException.class);
        assertThatThrownBy(() -> s.burn(RecorderId.of("node-b/sim-0"), AcquireOptions.waitUpTo(WAIT), null)
                .blockLast(WAIT)).isInstanceOf(BurnNotSupportedException.class);
        String thread = Mono.defer(() -> s.lockCount(null)).map(Object::toString).onErrorResume(e -> Mono.just(
                Thread.currentThread().getName())).subscribeOn(Schedulers.single()).block(WAIT);
        assertThat(thread).startsWith("vert.x-eventloop-thread");
        s.close().block(WAIT);
    }

    private static void await(String what, BooleanSupplier condition) {
        FleetSupport.await(what, condition);
    }
}
