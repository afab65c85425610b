package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static io.discagent.agent.TestAgent.SIM1;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.SimulatedDisc;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.MediaProfile;
import io.discagent.api.RecorderSelector;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.AcquireTimeoutException;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.MediaNotWritableException;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.subscriber.TestSubscriber;

/**
 * Pools with a medium condition ({@link RecorderSelector#withWritableMedium}, {@link RecorderSelector#withMedium}):
 * granted only a recorder whose medium matches, waiting for a medium to be inserted, giving up a place when the
 * medium changes, on virtual time and without leaving a native lock behind.
 */
class PoolMediumTests {

    private static final long GIGABYTE = 1L << 30;
    private static final RecorderSelector BLANK_DVD_SIZE = RecorderSelector.any().withWritableMedium(4 * GIGABYTE);

    private final TestAgent t = TestAgent.start(2, b -> { });

    @AfterEach
    void close() {
        t.close();
        assertThat(t.sim.lockCounts().taken()).as("native acquires = native releases once the agent closed")
                .isEqualTo(t.sim.lockCounts().dropped());
    }

    private TestSubscriber<LockGrant> acquireAny(ClientSession session, RecorderSelector selector,
            AcquireOptions options) {
        TestSubscriber<LockGrant> probe = TestSubscriber.create();
        session.acquireAny(selector, options).subscribe(probe);
        t.settle();
        return probe;
    }

    private static AcquireOptions waitUpTo(Duration timeout) {
        return AcquireOptions.waitUpTo(timeout).withRetry(RetryPolicy.none());
    }

    private void eject(io.discagent.api.RecorderId recorder) {
        t.sim.changeMedia(recorder, MediaState.NO_MEDIA);
        t.settle();
    }

    private void assertFree(io.discagent.api.RecorderId recorder) {
        ClientSession intruder = t.session("Intruder");
        LockGrant grant = intruder.acquire(recorder).block(Duration.ofSeconds(10));
        intruder.release(grant).block(Duration.ofSeconds(10));
        t.settle();
    }

    @Test
    void onlyARecorderWithAMatchingMediumIsGranted() {
        eject(SIM0);
        TestSubscriber<LockGrant> pool = acquireAny(t.session("Pool"), BLANK_DVD_SIZE, AcquireOptions.DEFAULT);
        assertThat(pool.isTerminatedComplete()).isTrue();
        assertThat(pool.getReceivedOnNext()).singleElement().satisfies(g -> assertThat(g.recorder()).isEqualTo(SIM1));
    }

    @Test
    void aRequestThatMayNotWaitFailsWhenNoMediumMatches() {
        eject(SIM0);
        t.sim.insertDisc(SIM1, SimulatedDisc.closed(MediaProfile.CD_R));
        t.settle();
        TestSubscriber<LockGrant> pool = acquireAny(t.session("Pool"), BLANK_DVD_SIZE, AcquireOptions.DEFAULT);
        assertThat(pool.expectTerminalError()).isInstanceOf(MediaNotWritableException.class)
                .hasMessageContaining("no recorder of the pool");
        assertFree(SIM0);
    }

    @Test
    void aRequestThatMayNotWaitWhoseOnlyMatchingRecorderIsHeldFailsLockedNamingTheHolder() {
        eject(SIM0);
        ClientSession holder = t.session("Holder");
        holder.acquire(SIM1).block(); // sim-1 holds the simulator's blank BD-RE
        TestSubscriber<LockGrant> pool = acquireAny(t.session("Pool"), BLANK_DVD_SIZE, AcquireOptions.DEFAULT);
        assertThat(pool.expectTerminalError()).isInstanceOf(io.discagent.api.error.RecorderLockedException.class)
                .hasMessageContaining("with a matching medium is held")
                .satisfies(e -> assertThat(((io.discagent.api.error.RecorderException) e).owner()).hasValue("Holder"));
        assertFree(SIM0);
    }

    @Test
    void aWaitingRequestIsGrantedTheRecorderWhoseMediumStartsToMatch() {
        eject(SIM0);
        eject(SIM1);
        TestSubscriber<LockGrant> pool = acquireAny(t.session("Pool"), BLANK_DVD_SIZE, waitUpTo(Duration.ofMinutes(1)));
        assertThat(pool.getReceivedOnNext()).isEmpty();
        t.sim.insertDisc(SIM1, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R));
        t.settle();
        assertThat(pool.getReceivedOnNext()).singleElement().satisfies(g -> assertThat(g.recorder()).isEqualTo(SIM1));
    }

    @Test
    void aWaitingRequestWithNoMatchingMediumTimesOutOnVirtualTime() {
        eject(SIM0);
        eject(SIM1);
        TestSubscriber<LockGrant> pool = acquireAny(t.session("Pool"), BLANK_DVD_SIZE, waitUpTo(Duration.ofSeconds(5)));
        t.advance(Duration.ofMillis(4999));
        assertThat(pool.isTerminated()).isFalse();
        t.advance(Duration.ofMillis(1));
        assertThat(pool.expectTerminalError()).isInstanceOf(AcquireTimeoutException.class)
                .hasMessageContaining("matching medium");
    }

    @Test
    void aRecorderWhoseMediumStopsMatchingWhileTheRequestWaitsIsNotGranted() {
        ClientSession holder = t.session("Holder");
        holder.acquire(SIM0).block();
        eject(SIM1);
        TestSubscriber<LockGrant> pool = acquireAny(t.session("Pool"), BLANK_DVD_SIZE, waitUpTo(Duration.ofMinutes(1)));
        assertThat(pool.getReceivedOnNext()).isEmpty(); // in line at sim-0, which holds a blank BD-RE
        eject(SIM0);
        holder.release(SIM0).block();
        t.settle();
        assertThat(pool.getReceivedOnNext()).as("granted a recorder without a medium").isEmpty();
        assertFree(SIM0);
        t.sim.insertDisc(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R));
        t.settle();
        assertThat(pool.getReceivedOnNext()).singleElement().satisfies(g -> assertThat(g.recorder()).isEqualTo(SIM0));
    }

    @Test
    void aMediumConditionIsTestedOnTheMediumAndItsFailureIsTyped() {
        TestSubscriber<LockGrant> cd = acquireAny(t.session("Pool"),
                RecorderSelector.anyOf(SIM0).withMedium(m -> m.profile() == MediaProfile.CD_R), AcquireOptions.DEFAULT);
        assertThat(cd.expectTerminalError()).isInstanceOf(MediaNotWritableException.class);
        TestSubscriber<LockGrant> failing = acquireAny(t.session("Other"),
                RecorderSelector.any().withMedium(m -> {
                    throw new IllegalStateException("broken condition");
                }), AcquireOptions.DEFAULT);
        assertThat(failing.expectTerminalError()).isInstanceOf(InvalidArgumentException.class)
                .hasMessageContaining("broken condition");
    }

    @Test
    void withLockAnyHonoursTheMediumCondition() {
        eject(SIM0);
        String ran = t.session("Pool").withLockAny(BLANK_DVD_SIZE, AcquireOptions.DEFAULT,
                grant -> reactor.core.publisher.Mono.just(grant.recorder().value())).blockLast(Duration.ofSeconds(10));
        assertThat(ran).isEqualTo(SIM1.value());
    }

    @Test
    void aRequestInLineAtOneRecorderAndParkedAtAnotherTimesOutOnce() {
        ClientSession holder = t.session("Holder");
        holder.acquire(SIM0).block();
        eject(SIM1);
        TestSubscriber<LockGrant> pool = acquireAny(t.session("Pool"), BLANK_DVD_SIZE, waitUpTo(Duration.ofSeconds(5)));
        t.advance(Duration.ofSeconds(5)); // its place at sim-0 and its own deadline end at the same instant
        assertThat(pool.expectTerminalError()).isInstanceOf(AcquireTimeoutException.class);
        holder.release(SIM0).block();
        t.settle();
        assertFree(SIM0);
    }
}
