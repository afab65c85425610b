package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static io.discagent.agent.adversary.Harness.SIM0;
import static io.discagent.agent.adversary.Harness.SIM1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.discagent.agent.AgentOptions;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.LockState;
import io.discagent.api.RecorderSelector;
import io.discagent.api.error.AcquireTimeoutException;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.LockTransition.Cause;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

/**
 * Outside holders (README "Outside holders"): EXTERNAL appearing and going, owner queries, the order of lock
 * transitions, waiters behind an outside holder, huge virtual-time jumps and ownerRefreshInterval edge values.
 */
class OutsideHolderAdversaryTests {

    private static final String XORRISO = "xorriso (pid 4242)";

    private Harness h;
    private final List<LockTransition> seen = new CopyOnWriteArrayList<>();
    private Disposable watch;

    private void start(Consumer<AgentOptions.Builder> options) {
        h = Harness.virtualTime(2, options);
    }

    private void watchSim0() {
        watch = h.test.agent.lockTransitions(SIM0).subscribe(seen::add);
        h.settle();
    }

    @AfterEach
    void stop() {
        if (watch != null) {
            watch.dispose();
        }
        if (h != null) {
            h.close();
        }
    }

    /** Every transition starts where the previous one ended, in sequence order; none goes EXTERNAL -> HELD. */
    private void assertContinuous() {
        for (int i = 1; i < seen.size(); i++) {
            LockTransition prev = seen.get(i - 1);
            LockTransition t = seen.get(i);
            assertThat(t.sequence()).as("sequence order at %d: %s", i, seen).isGreaterThan(prev.sequence());
            assertThat(t.from()).as("transition %d starts where %d ended: %s", i, i - 1, seen).isEqualTo(prev.to());
            assertThat(t.from().isExternal() && t.to().isHeld())
                    .as("'a session's hold never follows an outside holder in one step': %s", t).isFalse();
        }
    }

    private List<Cause> causes() {
        return seen.stream().map(LockTransition::cause).toList();
    }

    @Test
    void anOutsideHolderAppearsAndGoesForAWatcher() {
        start(o -> { });
        watchSim0();
        h.sim.lockExternally(SIM0, XORRISO);
        h.test.advance(Duration.ofSeconds(2));
        LockTransition appeared = seen.get(seen.size() - 1);
        assertThat(appeared.cause()).isEqualTo(Cause.EXTERNAL_ACQUIRED);
        assertThat(appeared.to()).isEqualTo(LockState.external(XORRISO));
        assertThat(appeared.to().session()).isNull();
        assertThat(appeared.to().count()).isZero();
        assertThat(h.test.agent.recorder(SIM0).block(BLOCK).lockState().isExternal()).isTrue();
        assertThat(h.test.agent.exclusiveAccessOwner(SIM0).block(BLOCK)).isEqualTo(XORRISO);
        h.sim.unlockExternally(SIM0);
        h.test.advance(Duration.ofSeconds(2));
        LockTransition gone = seen.get(seen.size() - 1);
        assertThat(gone.cause()).isEqualTo(Cause.EXTERNAL_RELEASED);
        assertThat(gone.to()).isEqualTo(LockState.FREE);
        assertThat(h.test.agent.exclusiveAccessOwner(SIM0).defaultIfEmpty("").block(BLOCK)).isEmpty();
        assertContinuous();
        h.assertQuiescentAndBalanced();
    }

    /** "When an outside holder appears, changes or goes, a LockTransition says so". */
    @Test
    void anOutsideHolderThatChangesWithinOneIntervalIsReported() {
        start(o -> { });
        watchSim0();
        h.sim.lockExternally(SIM0, XORRISO);
        h.test.advance(Duration.ofSeconds(2));
        h.sim.unlockExternally(SIM0);
        h.sim.lockExternally(SIM0, "wodim (pid 7)");
        h.test.advance(Duration.ofSeconds(2));
        LockTransition last = seen.get(seen.size() - 1);
        System.out.println("holder change: " + seen);
        assertThat(last.to()).isEqualTo(LockState.external("wodim (pid 7)"));
        assertContinuous();
        h.sim.unlockExternally(SIM0);
        h.test.advance(Duration.ofSeconds(2));
        h.assertQuiescentAndBalanced();
    }

    /**
     * "a session's acquire that succeeds while the state still showed an outside holder publishes EXTERNAL_RELEASED
     * first, then ACQUIRED from FREE" — with the refresh off, so that the state still shows the holder.
     */
    @Test
    void anAcquireAfterTheOutsideHolderLeftPublishesExternalReleasedFirst() {
        start(o -> o.ownerRefreshInterval(Duration.ZERO));
        watchSim0();
        ClientSession a = h.session("Alpha");
        h.sim.lockExternally(SIM0, XORRISO);
        assertThatThrownBy(() -> a.acquire(SIM0).block(BLOCK)).isInstanceOfSatisfying(RecorderLockedException.class,
                e -> assertThat(e.owner()).contains(XORRISO));
        h.settle();
        assertThat(causes()).contains(Cause.EXTERNAL_ACQUIRED);
        h.sim.unlockExternally(SIM0);
        h.test.advance(Duration.ofSeconds(10));
        assertThat(seen.get(seen.size() - 1).to().isExternal()).as("no refresh: still shows the holder").isTrue();
        a.acquire(SIM0).block(BLOCK);
        h.settle();
        List<Cause> c = causes();
        assertThat(c.subList(c.size() - 2, c.size())).containsExactly(Cause.EXTERNAL_RELEASED, Cause.ACQUIRED);
        assertContinuous();
        h.closeSessionsAndAssertBalanced();
    }

    /** A waiter behind an outside holder: retries with backoff, granted once it leaves, in the documented order. */
    @Test
    void aWaiterBehindAnOutsideHolderIsGrantedWhenItLeaves() {
        start(o -> { });
        watchSim0();
        ClientSession a = h.session("Alpha");
        ClientSession b = h.session("Beta");
        h.sim.lockExternally(SIM0, XORRISO);
        CompletableFuture<LockGrant> first = a.acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofMinutes(1)))
                .toFuture();
        h.test.advanceInSteps(Duration.ofSeconds(3), Duration.ofMillis(100));
        CompletableFuture<LockGrant> second = b.acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofMinutes(1)))
                .toFuture();
        h.test.advanceInSteps(Duration.ofSeconds(3), Duration.ofMillis(100));
        assertThat(first).isNotDone();
        assertThat(second).isNotDone();
        assertThat(h.test.agent.recorder(SIM0).block(BLOCK).lockState()).isEqualTo(LockState.external(XORRISO));
        h.sim.unlockExternally(SIM0);
        h.test.advanceInSteps(Duration.ofSeconds(3), Duration.ofMillis(100));
        assertThat(first).as("the head of the queue is granted, nobody behind it overtakes").isCompleted();
        assertThat(second).isNotDone();
        assertContinuous();
        a.release(first.join()).block(BLOCK);
        h.settle();
        assertThat(second).isCompleted();
        h.closeSessionsAndAssertBalanced();
    }

    /** "A wait that runs out against a holder outside the agent names that holder." */
    @Test
    void aWaitThatRunsOutAgainstAnOutsideHolderNamesIt() {
        start(o -> { });
        ClientSession a = h.session("Alpha");
        h.sim.lockExternally(SIM0, XORRISO);
        CompletableFuture<LockGrant> f = a.acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofSeconds(5))).toFuture();
        h.test.advanceInSteps(Duration.ofSeconds(6), Duration.ofMillis(100));
        Throwable e = failure(f);
        assertThat(e).isInstanceOf(AcquireTimeoutException.class);
        assertThat(e.toString()).contains(XORRISO);
        h.sim.unlockExternally(SIM0);
        h.closeSessionsAndAssertBalanced();
    }

    /** A pool whose members are held outside: waits (retrying per member), granted when one outside holder goes. */
    @Test
    void aPoolRequestWaitsOutOutsideHolders() {
        start(o -> { });
        ClientSession a = h.session("Alpha");
        h.sim.lockExternally(SIM0, XORRISO);
        h.sim.lockExternally(SIM1, "mounted at /media/disc");
        CompletableFuture<LockGrant> pool = a.acquireAny(RecorderSelector.any(),
                AcquireOptions.waitUpTo(Duration.ofMinutes(1))).toFuture();
        h.test.advanceInSteps(Duration.ofSeconds(3), Duration.ofMillis(100));
        assertThat(pool).isNotDone();
        h.sim.unlockExternally(SIM1);
        h.test.advanceInSteps(Duration.ofSeconds(3), Duration.ofMillis(100));
        assertThat(pool).isCompleted();
        assertThat(pool.join().recorder()).isEqualTo(SIM1);
        h.sim.unlockExternally(SIM0);
        h.closeSessionsAndAssertBalanced();
    }

    /** "failFast() tries every member once and fails with RecorderLockedException (naming an owner)". */
    @Test
    void aFailFastPoolAgainstOutsideHoldersNamesOne() {
        start(o -> { });
        ClientSession a = h.session("Alpha");
        h.sim.lockExternally(SIM0, XORRISO);
        h.sim.lockExternally(SIM1, XORRISO);
        assertThatThrownBy(() -> a.acquireAny(RecorderSelector.any()).block(BLOCK))
                .isInstanceOfSatisfying(RecorderLockedException.class, e -> assertThat(e.owner()).contains(XORRISO));
        h.sim.unlockExternally(SIM0);
        h.sim.unlockExternally(SIM1);
        h.closeSessionsAndAssertBalanced();
    }

    @Test
    void aRemovedRecorderEndsAnExternalStateWithDeviceRemoved() {
        start(o -> { });
        watchSim0();
        h.sim.lockExternally(SIM0, XORRISO);
        h.test.advance(Duration.ofSeconds(2));
        h.sim.removeRecorder(SIM0);
        h.settle();
        assertThat(seen.get(seen.size() - 1).cause()).isEqualTo(Cause.DEVICE_REMOVED);
        assertThat(seen.get(seen.size() - 1).from()).isEqualTo(LockState.external(XORRISO));
        assertContinuous();
        h.assertQuiescentAndBalanced();
    }

    /** "on every exclusiveAccessOwner(recorder) while no session holds the recorder" — even with the refresh off. */
    @Test
    void anOwnerQueryFindsAndForgetsTheOutsideHolderWithTheRefreshOff() {
        start(o -> o.ownerRefreshInterval(Duration.ZERO));
        assertThat(h.test.agent.exclusiveAccessOwner(SIM0).defaultIfEmpty("").block(BLOCK)).isEmpty();
        h.sim.lockExternally(SIM0, XORRISO);
        assertThat(h.test.agent.exclusiveAccessOwner(SIM0).block(BLOCK)).isEqualTo(XORRISO);
        assertThat(h.test.agent.recorder(SIM0).block(BLOCK).lockState()).isEqualTo(LockState.external(XORRISO));
        h.sim.unlockExternally(SIM0);
        assertThat(h.test.agent.exclusiveAccessOwner(SIM0).defaultIfEmpty("").block(BLOCK)).isEmpty();
        assertThat(h.test.agent.recorder(SIM0).block(BLOCK).lockState()).isEqualTo(LockState.FREE);
        h.assertQuiescentAndBalanced();
    }

    /** The owner of a recorder a session holds is that session's client name, with no outside query needed. */
    @Test
    void theOwnerOfAHeldRecorderIsTheSession() {
        start(o -> { });
        ClientSession a = h.session("Alpha");
        a.acquire(SIM0).block(BLOCK);
        assertThat(h.test.agent.exclusiveAccessOwner(SIM0).block(BLOCK)).isEqualTo("Alpha");
        assertThatThrownBy(() -> h.sim.lockExternally(SIM0, XORRISO)).isInstanceOf(RecorderLockedException.class);
        h.closeSessionsAndAssertBalanced();
    }

    // ---- virtual time and ownerRefreshInterval edges ----

    /** README: "A duration too long to count (ChronoUnit.FOREVER, a thousand years) means never; nothing overflows." */
    @Test
    void aHugeVirtualTimeJumpWithWatchersAndARetryingWaiterDoesNotHang() {
        start(o -> { });
        watchSim0();
        ClientSession a = h.session("Alpha");
        h.sim.lockExternally(SIM0, XORRISO);
        CompletableFuture<LockGrant> waiter = a.acquire(SIM0, AcquireOptions.waitIndefinitely()).toFuture();
        h.settle();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            // a century: VirtualTimeScheduler's own nanosecond clock overflows a little after 292 years
            h.test.time.advanceTimeBy(Duration.ofDays(365L * 100));
            h.settle();
        }, "a hundred-year virtual jump");
        assertThat(waiter).isNotDone();
        h.sim.unlockExternally(SIM0);
        h.test.advanceInSteps(Duration.ofSeconds(3), Duration.ofMillis(100));
        assertThat(waiter).isCompleted();
        assertContinuous();
        h.closeSessionsAndAssertBalanced();
    }

    @Test
    void aOneNanosecondRefreshDoesNotHangAnHourLongAdvance() {
        start(o -> o.ownerRefreshInterval(Duration.ofNanos(1)));
        watchSim0();
        h.sim.lockExternally(SIM0, XORRISO);
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            h.test.time.advanceTimeBy(Duration.ofHours(1));
            h.settle();
        }, "an hour on a 1 ns refresh");
        assertThat(h.test.agent.recorder(SIM0).block(BLOCK).lockState()).isEqualTo(LockState.external(XORRISO));
        h.sim.unlockExternally(SIM0);
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            h.test.time.advanceTimeBy(Duration.ofSeconds(1));
            h.settle();
        });
        assertThat(h.test.agent.recorder(SIM0).block(BLOCK).lockState()).isEqualTo(LockState.FREE);
        h.assertQuiescentAndBalanced();
    }

    @Test
    void aForeverRefreshStartsAndNeverRefreshes() {
        start(o -> o.ownerRefreshInterval(ChronoUnit.FOREVER.getDuration()));
        watchSim0();
        h.sim.lockExternally(SIM0, XORRISO);
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            h.test.time.advanceTimeBy(Duration.ofDays(365L * 100));
            h.settle();
        });
        System.out.println("forever refresh: transitions " + seen);
        assertThat(causes()).as("a refresh of 'never' does not report the holder").doesNotContain(
                Cause.EXTERNAL_ACQUIRED);
        h.sim.unlockExternally(SIM0);
        h.assertQuiescentAndBalanced();
    }

    @Test
    void badRefreshIntervalsAreRejected() {
        assertThatThrownBy(() -> AgentOptions.builder().ownerRefreshInterval(Duration.ofNanos(-1)))
                .isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> AgentOptions.builder().ownerRefreshInterval(null))
                .isInstanceOf(InvalidArgumentException.class);
    }

    /** The refresh query is never made "while the agent holds the recorder natively". */
    @Test
    void noOwnerQueryWhileTheAgentHoldsTheRecorder() {
        start(o -> { });
        watchSim0();
        ClientSession a = h.session("Alpha");
        a.acquire(SIM0).block(BLOCK);
        h.settle();
        int before = h.sim.calls().size();
        h.test.advanceInSteps(Duration.ofSeconds(20), Duration.ofSeconds(1));
        List<String> owners = h.sim.calls().subList(before, h.sim.calls().size()).stream()
                .filter(c -> c.recorder().equals(SIM0)).map(c -> c.operation()).toList();
        System.out.println("sim-0 calls while held: " + owners);
        assertThat(owners).as("native calls on sim-0 while the agent holds it")
                .noneMatch(op -> op.toLowerCase().contains("owner"));
        h.closeSessionsAndAssertBalanced();
    }

    /** A pool member held outside, then freed: the pool grant on it publishes EXTERNAL_RELEASED, then ACQUIRED. */
    @Test
    void aPoolGrantOnAMemberLastSeenExternalPublishesExternalReleasedFirst() {
        start(o -> o.ownerRefreshInterval(Duration.ZERO));
        watchSim0();
        ClientSession a = h.session("Alpha");
        ClientSession b = h.session("Beta");
        b.acquire(SIM1).block(BLOCK);
        h.sim.lockExternally(SIM0, XORRISO);
        CompletableFuture<LockGrant> pool = a.acquireAny(RecorderSelector.any(),
                AcquireOptions.waitUpTo(Duration.ofMinutes(1))).toFuture();
        h.test.advanceInSteps(Duration.ofSeconds(2), Duration.ofMillis(100));
        assertThat(seen.get(seen.size() - 1).to()).isEqualTo(LockState.external(XORRISO));
        h.sim.unlockExternally(SIM0);
        h.test.advanceInSteps(Duration.ofSeconds(3), Duration.ofMillis(100));
        assertThat(pool).isCompleted();
        assertThat(pool.join().recorder()).isEqualTo(SIM0);
        List<Cause> c = causes();
        assertThat(c.subList(c.size() - 2, c.size())).containsExactly(Cause.EXTERNAL_RELEASED, Cause.ACQUIRED);
        assertContinuous();
        h.closeSessionsAndAssertBalanced();
    }

    /** The refresh query runs "one at a time, never while ... a call on it hangs": no burst of queued queries. */
    @Test
    void noOwnerQueriesPileUpBehindAHungCall() {
        start(o -> { });
        watchSim0();
        ClientSession a = h.session("Alpha");
        h.sim.hangNext(SIM0, io.discagent.agent.backend.simulated.Simulator.Operation.ACQUIRE, 1);
        a.acquire(SIM0).subscribe(g -> { }, e -> { });
        h.test.advanceInSteps(Duration.ofSeconds(60), Duration.ofSeconds(1));
        int before = h.sim.calls().size();
        h.sim.releaseHangs(SIM0);
        h.settle();
        List<String> after = h.sim.calls().subList(before, h.sim.calls().size()).stream()
                .filter(c -> c.recorder().equals(SIM0)).map(c -> c.operation()).toList();
        System.out.println("sim-0 calls after a 60 s hang ended: " + after);
        assertThat(after.stream().filter(op -> op.toLowerCase().contains("owner")).count())
                .as("owner queries queued behind the hung call: %s", after).isLessThanOrEqualTo(1);
        h.closeSessionsAndAssertBalanced();
    }

    private static Throwable failure(CompletableFuture<?> f) {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("no failure within 10 s", e);
        }
        throw new AssertionError("completed without failure");
    }
}
