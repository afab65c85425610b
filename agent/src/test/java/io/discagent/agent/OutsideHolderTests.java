package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static io.discagent.agent.TestAgent.SIM1;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.LockState;
import io.discagent.api.RecorderId;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.event.CommandTimedOutEvent;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.LockTransition.Cause;
import io.discagent.api.event.RecorderEvent;
import io.discagent.api.event.RecorderRemovedEvent;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.test.subscriber.TestSubscriber;

/**
 * Holders outside the agent in the lock state ({@link LockState.Status#EXTERNAL}), on virtual time: refreshed by the
 * backend's owner discovery every {@code ownerRefreshInterval} (2 s) for watched and awaited recorders, at once on a
 * failed acquire and on an owner query, published as {@code EXTERNAL_ACQUIRED} / {@code EXTERNAL_RELEASED}.
 */
class OutsideHolderTests {

    private static final LockState WODIM = LockState.external("wodim (pid 4242)");
    private static final LockState XORRISO = LockState.external("xorriso (pid 77)");

    private TestAgent t = TestAgent.start();

    @AfterEach
    void close() {
        t.close();
    }

    private long ownerQueries(RecorderId recorder) {
        return t.sim.calls().stream().filter(c -> c.recorder().equals(recorder) && c.operation().equals("owner"))
                .count();
    }

    private LockState state(RecorderId recorder) {
        return t.agent.recorder(recorder).block().lockState();
    }

    private TestSubscriber<LockTransition> watch(RecorderId recorder) {
        TestSubscriber<LockTransition> probe = TestSubscriber.create();
        t.agent.lockTransitions(recorder).subscribe(probe);
        t.settle();
        return probe;
    }

    private static List<LockTransition> changes(TestSubscriber<LockTransition> probe) {
        return probe.getReceivedOnNext().stream().filter(e -> e.cause() != Cause.SNAPSHOT).toList();
    }

    @Test
    void aWatchedRecorderShowsItsOutsideHolderWithinTheRefreshIntervalAndLosesItWhenItGoes() {
        TestSubscriber<LockTransition> probe = watch(SIM0);
        t.sim.lockExternally(SIM0, "wodim (pid 4242)");
        t.advance(Duration.ofMillis(1999));
        assertThat(changes(probe)).isEmpty();
        assertThat(state(SIM0)).isEqualTo(LockState.FREE);

        t.advance(Duration.ofMillis(1));
        assertThat(changes(probe)).singleElement().satisfies(tr -> {
            assertThat(tr.cause()).isEqualTo(Cause.EXTERNAL_ACQUIRED);
            assertThat(tr.from()).isEqualTo(LockState.FREE);
            assertThat(tr.to()).isEqualTo(WODIM);
        });
        assertThat(state(SIM0)).isEqualTo(WODIM);
        assertThat(t.agent.recorders().block()).extracting(info -> info.lockState().status())
                .containsExactly(LockState.Status.EXTERNAL, LockState.Status.FREE);

        t.advance(Duration.ofSeconds(2)); // still there: asked again, nothing published
        assertThat(changes(probe)).hasSize(1);

        t.sim.unlockExternally(SIM0);
        t.sim.lockExternally(SIM0, "xorriso (pid 77)");
        t.advance(Duration.ofSeconds(2));
        assertThat(changes(probe).get(1)).satisfies(tr -> {
            assertThat(tr.cause()).isEqualTo(Cause.EXTERNAL_ACQUIRED);
            assertThat(tr.from()).isEqualTo(WODIM);
            assertThat(tr.to()).isEqualTo(XORRISO);
        });

        t.sim.unlockExternally(SIM0);
        t.advance(Duration.ofSeconds(2));
        assertThat(changes(probe)).hasSize(3).last().satisfies(tr -> {
            assertThat(tr.cause()).isEqualTo(Cause.EXTERNAL_RELEASED);
            assertThat(tr.from()).isEqualTo(XORRISO);
            assertThat(tr.to()).isEqualTo(LockState.FREE);
        });
        assertThat(state(SIM0)).isEqualTo(LockState.FREE);
        assertThat(probe.isTerminatedOrCancelled()).isFalse();
    }

    @Test
    void theOwnerIsAskedOnlyForRecordersSomeoneWatchesAndOnTheRecordersNativeWorker() {
        t.sim.lockExternally(SIM0, "wodim (pid 4242)");
        t.sim.lockExternally(SIM1, "xorriso (pid 77)");
        t.advance(Duration.ofSeconds(10));
        assertThat(ownerQueries(SIM0)).isZero();
        assertThat(ownerQueries(SIM1)).isZero();
        assertThat(state(SIM0)).as("nobody watched: the last state seen").isEqualTo(LockState.FREE);

        TestSubscriber<LockTransition> sim1 = watch(SIM1);
        t.advanceInSteps(Duration.ofSeconds(10), Duration.ofSeconds(2));
        assertThat(ownerQueries(SIM0)).isZero();
        assertThat(ownerQueries(SIM1)).isEqualTo(5);
        assertThat(state(SIM1)).isEqualTo(XORRISO);
        assertThat(t.sim.calls()).filteredOn(c -> c.operation().equals("owner"))
                .allSatisfy(c -> assertThat(c.thread()).isEqualTo("discagent-native-sim-1"));

        sim1.cancel();
        t.settle();
        long asked = ownerQueries(SIM1);
        t.advance(Duration.ofSeconds(10));
        assertThat(ownerQueries(SIM1)).as("nobody watches any more").isEqualTo(asked);

        Disposable everything = t.agent.events().subscribe();
        t.advance(Duration.ofSeconds(2));
        assertThat(state(SIM0)).isEqualTo(WODIM);
        everything.dispose();
    }

    @Test
    void aFailedAcquireShowsTheOutsideHolderAtOnceWithoutAnyWatcher() {
        t.sim.lockExternally(SIM0, "wodim (pid 4242)");
        ClientSession burner = t.session("Burner");
        TestSubscriber<LockGrant> acquire = TestSubscriber.create();
        burner.acquire(SIM0).subscribe(acquire);
        t.settle();
        assertThat(acquire.expectTerminalError()).isInstanceOfSatisfying(RecorderLockedException.class,
                e -> assertThat(e.owner()).contains("wodim (pid 4242)"));
        assertThat(state(SIM0)).isEqualTo(WODIM);

        TestSubscriber<LockTransition> probe = watch(SIM0);
        assertThat(probe.getReceivedOnNext()).singleElement()
                .satisfies(snapshot -> assertThat(snapshot.to()).isEqualTo(WODIM));
    }

    @Test
    void anOwnerQueryUpdatesTheState() {
        t.sim.lockExternally(SIM0, "wodim (pid 4242)");
        assertThat(t.agent.exclusiveAccessOwner(SIM0).block()).isEqualTo("wodim (pid 4242)");
        assertThat(state(SIM0)).isEqualTo(WODIM);
        t.sim.unlockExternally(SIM0);
        assertThat(t.agent.exclusiveAccessOwner(SIM0).blockOptional()).isEmpty();
        assertThat(state(SIM0)).isEqualTo(LockState.FREE);
    }

    @Test
    void aWaitingAcquireKeepsTheOutsideHolderCurrentBetweenItsRetries() {
        t.sim.lockExternally(SIM0, "wodim (pid 4242)");
        ClientSession burner = t.session("Burner");
        TestSubscriber<LockGrant> acquire = TestSubscriber.create();
        burner.acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofMinutes(1))
                .withRetry(RetryPolicy.backoff(100, Duration.ofSeconds(30), Duration.ofSeconds(30), 0)))
                .subscribe(acquire);
        t.settle();
        assertThat(state(SIM0)).isEqualTo(WODIM);

        t.sim.unlockExternally(SIM0);
        t.sim.lockExternally(SIM0, "xorriso (pid 77)");
        t.advance(Duration.ofSeconds(2)); // long before the next retry
        assertThat(state(SIM0)).isEqualTo(XORRISO);

        t.sim.unlockExternally(SIM0);
        t.advance(Duration.ofSeconds(2));
        assertThat(state(SIM0)).isEqualTo(LockState.FREE);
        t.advance(Duration.ofSeconds(26));
        assertThat(acquire.getReceivedOnNext()).singleElement();
        assertThat(state(SIM0)).isEqualTo(LockState.held("Burner", burner.id(), 1));
    }

    @Test
    void anAcquireThatSucceedsPastAStaleOutsideHolderPublishesItsGoingFirst() {
        TestSubscriber<LockTransition> probe = watch(SIM0);
        t.sim.lockExternally(SIM0, "wodim (pid 4242)");
        t.advance(Duration.ofSeconds(2));
        t.sim.unlockExternally(SIM0);
        ClientSession kiosk = t.session("Kiosk");
        kiosk.acquire(SIM0).block();
        t.settle();
        assertThat(changes(probe)).extracting(LockTransition::cause)
                .containsExactly(Cause.EXTERNAL_ACQUIRED, Cause.EXTERNAL_RELEASED, Cause.ACQUIRED);
        assertThat(changes(probe).get(1).to()).isEqualTo(LockState.FREE);
        assertThat(changes(probe).get(2).from()).isEqualTo(LockState.FREE);

        t.advance(Duration.ofSeconds(10));
        assertThat(changes(probe)).as("the agent's own hold is never asked about").hasSize(3);
        assertThat(ownerQueries(SIM0)).isEqualTo(1);
    }

    @Test
    void aRemovedRecorderEndsItsOutsideHolderBeforeTheRemoval() {
        TestSubscriber<RecorderEvent> probe = TestSubscriber.create();
        t.agent.events().subscribe(probe);
        t.sim.lockExternally(SIM0, "wodim (pid 4242)");
        t.advance(Duration.ofSeconds(2));
        t.sim.removeRecorder(SIM0);
        t.settle();
        List<RecorderEvent> tail = probe.getReceivedOnNext().stream()
                .filter(e -> e.recorder().equals(SIM0) && !(e instanceof LockTransition tr
                        && tr.cause() == Cause.SNAPSHOT)).toList();
        assertThat(tail).hasSize(3);
        assertThat(tail.get(0)).isInstanceOfSatisfying(LockTransition.class,
                tr -> assertThat(tr.cause()).isEqualTo(Cause.EXTERNAL_ACQUIRED));
        assertThat(tail.get(1)).isInstanceOfSatisfying(LockTransition.class, tr -> {
            assertThat(tr.cause()).isEqualTo(Cause.DEVICE_REMOVED);
            assertThat(tr.from()).isEqualTo(WODIM);
            assertThat(tr.to()).isEqualTo(LockState.FREE);
        });
        assertThat(tail.get(2)).isInstanceOf(RecorderRemovedEvent.class);
    }

    @Test
    void aHungOwnerQueryMakesTheRecorderUnresponsiveAndIsNotRepeated() {
        t.close();
        t = TestAgent.start(2, b -> b.commandTimeout(Duration.ofSeconds(5)));
        TestSubscriber<RecorderEvent> probe = TestSubscriber.create();
        t.agent.events().subscribe(probe);
        t.sim.hangNext(SIM0, Operation.OWNER, 1);
        t.advance(Duration.ofSeconds(2));
        t.advance(Duration.ofSeconds(5));
        assertThat(probe.getReceivedOnNext()).filteredOn(CommandTimedOutEvent.class::isInstance).singleElement()
                .satisfies(e -> assertThat(((CommandTimedOutEvent) e).command()).isEqualTo("ExclusiveAccessOwner"));
        assertThat(t.agent.health().block().unresponsive()).containsExactly(SIM0);
        t.advance(Duration.ofSeconds(20));
        assertThat(ownerQueries(SIM0)).as("no query queues behind the hung one").isEqualTo(1);

        t.sim.lockExternally(SIM0, "wodim (pid 4242)");
        t.sim.releaseHangs(SIM0);
        t.settle();
        assertThat(t.agent.health().block().status()).isEqualTo(AgentHealth.Status.UP);
        t.advance(Duration.ofSeconds(2));
        assertThat(state(SIM0)).isEqualTo(WODIM);
    }

    @Test
    void aZeroIntervalTurnsTheRefreshOff() {
        t.close();
        t = TestAgent.start(2, b -> b.ownerRefreshInterval(Duration.ZERO));
        TestSubscriber<LockTransition> probe = watch(SIM0);
        t.sim.lockExternally(SIM0, "wodim (pid 4242)");
        t.advance(Duration.ofMinutes(1));
        assertThat(ownerQueries(SIM0)).isZero();
        assertThat(changes(probe)).isEmpty();
    }
}
