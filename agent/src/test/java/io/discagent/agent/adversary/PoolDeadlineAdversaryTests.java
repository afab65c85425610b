package io.discagent.agent.adversary;

import static io.discagent.agent.TestAgent.SIM0;
import static io.discagent.agent.TestAgent.SIM1;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.AgentStatistics;
import io.discagent.agent.TestAgent;
import io.discagent.agent.backend.simulated.SimulatedDisc;
import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.MediaInfo;
import io.discagent.api.MediaProfile;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderSelector;
import io.discagent.api.RetryPolicy;
import io.discagent.api.burn.BurnProgress;
import io.discagent.api.burn.BurnRequest;
import io.discagent.api.error.AcquireTimeoutException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.event.AcquireTimedOutEvent;
import io.discagent.api.event.MediaChangedEvent;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import io.discagent.api.event.RecorderEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.Disposable;
import reactor.test.subscriber.TestSubscriber;

/**
 * Deadlines of pool requests with a medium condition on virtual time (parked at recorders whose medium does not
 * match, in line at others, rejoining when a medium starts to match), the statistics and events of their timeouts,
 * and the media change events around hung, failing and burning recorders: every request ends exactly once, at its
 * deadline, and nothing is held natively once the agent closed. Each recorder starts with a blank BD-RE.
 */
class PoolDeadlineAdversaryTests {

    private static final Duration BLOCK = Duration.ofSeconds(10);
    private static final long GIGABYTE = 1L << 30;
    private static final RecorderSelector WRITABLE_4G = RecorderSelector.any().withWritableMedium(4 * GIGABYTE);

    @TempDir
    Path dir;

    private final TestAgent t = TestAgent.start(2, b -> b.ownerRefreshInterval(Duration.ZERO));
    private final List<TestSubscriber<LockGrant>> probes = new ArrayList<>();
    private final List<RecorderEvent> events = new CopyOnWriteArrayList<>();
    private final Disposable eventSubscription = t.agent.events().subscribe(events::add);

    @AfterEach
    void close() {
        eventSubscription.dispose();
        t.close();
        assertThat(t.sim.lockCounts().taken()).as("native acquires = native releases once the agent closed")
                .isEqualTo(t.sim.lockCounts().dropped());
        for (TestSubscriber<LockGrant> probe : probes) {
            assertThat(probe.getProtocolErrors()).as("protocol errors of %s", probe).isEmpty();
            assertThat(probe.isTerminatedOrCancelled()).as("every request answered").isTrue();
        }
    }

    private static AcquireOptions waitUpTo(Duration timeout) {
        return AcquireOptions.waitUpTo(timeout).withRetry(RetryPolicy.none());
    }

    private TestSubscriber<LockGrant> pool(ClientSession session, RecorderSelector selector, AcquireOptions options) {
        TestSubscriber<LockGrant> probe = TestSubscriber.create();
        probes.add(probe);
        session.acquireAny(selector, options).subscribe(probe);
        t.settle();
        return probe;
    }

    private void eject(RecorderId recorder) {
        t.sim.changeMedia(recorder, MediaState.NO_MEDIA);
        t.settle();
    }

    private void insert(RecorderId recorder, SimulatedDisc disc) {
        t.sim.insertDisc(recorder, disc);
        t.settle();
    }

    private void assertFree(RecorderId recorder) {
        ClientSession intruder = t.session("Intruder");
        LockGrant grant = intruder.acquire(recorder, AcquireOptions.failFast()).block(BLOCK);
        intruder.release(grant).block(BLOCK);
        intruder.close().block(BLOCK);
        t.settle();
    }

    private static void assertTimedOutOnce(TestSubscriber<LockGrant> probe) {
        assertThat(probe.getReceivedOnNext()).as("grants").isEmpty();
        assertThat(probe.isTerminatedError()).as("ended with an error: %s", probe.getTerminalSignal()).isTrue();
        assertThat(probe.getTerminalSignal().getThrowable()).isInstanceOf(AcquireTimeoutException.class);
        assertThat(probe.getProtocolErrors()).isEmpty();
    }

    private static long failed(AgentStatistics s) {
        return s.acquiresFailed().values().stream().mapToLong(Long::longValue).sum();
    }

    private List<MediaChangedEvent> mediaEvents(RecorderId recorder) {
        return events.stream().filter(MediaChangedEvent.class::isInstance).map(MediaChangedEvent.class::cast)
                .filter(e -> e.recorder().equals(recorder)).toList();
    }

    private List<AcquireTimedOutEvent> timeoutEvents() {
        return events.stream().filter(AcquireTimedOutEvent.class::isInstance).map(AcquireTimedOutEvent.class::cast)
                .toList();
    }

    // ------------------------------------------------------------------------------------------------ deadlines

    /**
     * Finding: a pool request parked at every member (no matching medium anywhere) times out exactly at its deadline,
     * once, and {@code acquiresFailed} counts it under {@code HRESULT_FROM_WIN32(ERROR_TIMEOUT)}, but
     * {@code statistics().acquireTimeouts()} stays unchanged (expected +1, observed +0). Deterministic.
     */
    @Test
    void aParkedRequestTimesOutExactlyAtItsDeadlineOnceAndIsCountedOnce() {
        eject(SIM0);
        eject(SIM1);
        AgentStatistics before = t.agent.statistics();
        TestSubscriber<LockGrant> p = pool(t.session("Pool"), WRITABLE_4G, waitUpTo(Duration.ofSeconds(7)));
        t.advance(Duration.ofMillis(6999));
        assertThat(p.isTerminated()).as("ended before its deadline: %s", p.getTerminalSignal()).isFalse();
        t.advance(Duration.ofMillis(1));
        assertTimedOutOnce(p);
        t.advance(Duration.ofMinutes(5));
        assertThat(p.getProtocolErrors()).isEmpty();
        AgentStatistics after = t.agent.statistics();
        assertThat(after.acquireTimeouts() - before.acquireTimeouts()).as("acquireTimeouts").isEqualTo(1);
        assertThat(failed(after) - failed(before)).as("acquiresFailed").isEqualTo(1);
        assertThat(after.acquiresCancelled() - before.acquiresCancelled()).isZero();
        assertThat(after.waiting()).isZero();
        assertThat(timeoutEvents()).as("timeout events of a request parked everywhere")
                .allSatisfy(e -> assertThat(e.waited()).isEqualTo(Duration.ofSeconds(7)))
                .extracting(AcquireTimedOutEvent::recorder).doesNotHaveDuplicates();
    }

    @Test
    void aRequestInLineAtBothRecordersTimesOutOnceCountedOnceWithOneEventPerRecorder() {
        ClientSession holder = t.session("Holder");
        holder.acquire(SIM0).block(BLOCK);
        holder.acquire(SIM1).block(BLOCK);
        AgentStatistics before = t.agent.statistics();
        TestSubscriber<LockGrant> p = pool(t.session("Pool"), WRITABLE_4G, waitUpTo(Duration.ofSeconds(3)));
        assertThat(t.settle().waiting()).isEqualTo(2);
        t.advance(Duration.ofMillis(2999));
        assertThat(p.isTerminated()).isFalse();
        t.advance(Duration.ofMillis(1));
        assertTimedOutOnce(p);
        AgentStatistics after = t.agent.statistics();
        assertThat(after.acquireTimeouts() - before.acquireTimeouts()).as("acquireTimeouts of one pool request")
                .isEqualTo(1);
        assertThat(failed(after) - failed(before)).isEqualTo(1);
        assertThat(t.settle().waiting()).isZero();
        assertThat(timeoutEvents()).extracting(AcquireTimedOutEvent::recorder).containsExactlyInAnyOrder(SIM0, SIM1);
        holder.release(SIM0).block(BLOCK);
        holder.release(SIM1).block(BLOCK);
        t.settle();
        assertThat(p.getReceivedOnNext()).isEmpty();
        assertFree(SIM0);
        assertFree(SIM1);
    }

    @Test
    void aPlaceTakenWhenAMediumStartsToMatchKeepsOnlyWhatIsLeftOfTheWait() {
        ClientSession holder = t.session("Holder");
        holder.acquire(SIM0).block(BLOCK);
        eject(SIM0);
        eject(SIM1);
        TestSubscriber<LockGrant> p = pool(t.session("Pool"), WRITABLE_4G, waitUpTo(Duration.ofSeconds(10)));
        t.advance(Duration.ofSeconds(6));
        insert(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R)); // joins the line at SIM0, which the holder has
        t.advance(Duration.ofSeconds(2));
        eject(SIM0); // gives up its place
        insert(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R)); // and takes one again
        t.advance(Duration.ofMillis(1999));
        assertThat(p.isTerminated()).as("ended before its deadline: %s", p.getTerminalSignal()).isFalse();
        t.advance(Duration.ofMillis(1));
        assertTimedOutOnce(p);
        holder.release(SIM0).block(BLOCK);
        t.settle();
        assertThat(p.getReceivedOnNext()).isEmpty();
        assertFree(SIM0);
    }

    /**
     * Finding (same cause as the one above): a medium inserted in the same instant as the deadline: the request times
     * out (once, not granted), but {@code acquireTimeouts()} does not count it (expected +1, observed +0).
     * Deterministic in two runs (the timeout won both times).
     */
    @Test
    void aMediumThatStartsToMatchExactlyAtTheDeadlineIsGrantedOrTimesOutButNotBoth() {
        eject(SIM0);
        eject(SIM1);
        AgentStatistics before = t.agent.statistics();
        TestSubscriber<LockGrant> p = pool(t.session("Pool"), WRITABLE_4G, waitUpTo(Duration.ofSeconds(5)));
        t.advance(Duration.ofMillis(4999));
        t.sim.insertDisc(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R));
        t.time.advanceTimeBy(Duration.ofMillis(1));
        t.settle();
        t.advance(Duration.ofSeconds(1));
        assertThat(p.isTerminated()).isTrue();
        AgentStatistics after = t.agent.statistics();
        if (p.isTerminatedComplete()) {
            assertThat(p.getReceivedOnNext()).singleElement()
                    .satisfies(g -> assertThat(g.recorder()).isEqualTo(SIM0));
            assertThat(after.acquiresGranted() - before.acquiresGranted()).isEqualTo(1);
            assertThat(failed(after) - failed(before)).isZero();
        } else {
            assertTimedOutOnce(p);
            assertThat(after.acquiresGranted() - before.acquiresGranted()).isZero();
            assertThat(after.acquireTimeouts() - before.acquireTimeouts()).isEqualTo(1);
            assertFree(SIM0);
        }
    }

    @Test
    void manyParkedAndQueuedRequestsEachTimeOutAtTheirOwnSecond() {
        ClientSession holder = t.session("Holder");
        holder.acquire(SIM0).block(BLOCK); // in line at SIM0 (a blank BD-RE), parked at SIM1 (no medium)
        eject(SIM1);
        AgentStatistics before = t.agent.statistics();
        int n = 30;
        List<TestSubscriber<LockGrant>> requests = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            requests.add(pool(t.session("P" + i), WRITABLE_4G, waitUpTo(Duration.ofSeconds(i))));
        }
        for (int second = 1; second <= n; second++) {
            t.advance(Duration.ofMillis(999));
            for (int i = 1; i <= n; i++) {
                assertThat(requests.get(i - 1).isTerminated()).as("request %d after %d.999 s", i, second - 1)
                        .isEqualTo(i < second);
            }
            t.advance(Duration.ofMillis(1));
            assertTimedOutOnce(requests.get(second - 1));
        }
        AgentStatistics after = t.agent.statistics();
        assertThat(after.acquireTimeouts() - before.acquireTimeouts()).isEqualTo(n);
        assertThat(failed(after) - failed(before)).isEqualTo(n);
        assertThat(t.settle().waiting()).isZero();
        holder.release(SIM0).block(BLOCK);
        t.settle();
        requests.forEach(r -> assertThat(r.getReceivedOnNext()).isEmpty());
        assertFree(SIM0);
    }

    /**
     * Was a finding (fixed: a timeout is counted where the request's outcome is decided): a cancel from the test thread
     * racing the clock reaching the deadline (60 rounds, SIM0 held): every probe ends once and {@code acquiresCancelled
     * + acquiresFailed} adds up, but {@code acquireTimeouts()} counts more timeouts than requests that failed with a
     * timeout: run 1: 3 timeouts counted, 0 failed; run 2: 2 counted, 1 failed, 59 cancelled. A request counted as
     * cancelled is counted as timed out too. Racy: failed in 2 of 3 runs.
     */
    @Test
    void cancellingRightAtTheDeadlineEndsEachRequestExactlyOnce() throws Exception {
        eject(SIM1);
        ClientSession holder = t.session("Holder");
        holder.acquire(SIM0).block(BLOCK);
        ClientSession s = t.session("Pool");
        AgentStatistics before = t.agent.statistics();
        int rounds = 60;
        int timedOut = 0;
        for (int round = 0; round < rounds; round++) {
            if (round % 3 == 2) {
                eject(SIM0); // parked everywhere this round
            }
            TestSubscriber<LockGrant> p = pool(s, WRITABLE_4G, waitUpTo(Duration.ofSeconds(1)));
            t.advance(Duration.ofMillis(999));
            Thread clock = new Thread(() -> t.time.advanceTimeBy(Duration.ofMillis(1)));
            clock.start();
            if (round % 2 == 0) {
                Thread.onSpinWait();
            }
            p.cancel();
            clock.join();
            t.settle();
            assertThat(p.getReceivedOnNext()).as("round %d", round).isEmpty();
            assertThat(p.getProtocolErrors()).as("round %d", round).isEmpty();
            if (p.isTerminatedError()) {
                assertThat(p.getTerminalSignal().getThrowable()).isInstanceOf(AcquireTimeoutException.class);
                timedOut++;
            }
            assertThat(t.settle().waiting()).as("round %d: places left", round).isZero();
            if (round % 3 == 2) {
                insert(SIM0, SimulatedDisc.blank(MediaProfile.BD_RE));
            }
        }
        AgentStatistics after = t.agent.statistics();
        long ended = (after.acquiresCancelled() - before.acquiresCancelled()) + (failed(after) - failed(before));
        assertThat(ended).as("every request ends in exactly one of cancelled or failed (timed out: %d)", timedOut)
                .isEqualTo(rounds);
        assertThat(after.acquireTimeouts() - before.acquireTimeouts()).as("timeouts counted (probes that timed out:"
                + " %d, failed %s, cancelled %d)", timedOut, after.acquiresFailed(),
                after.acquiresCancelled() - before.acquiresCancelled()).isEqualTo(failed(after) - failed(before));
        holder.release(SIM0).block(BLOCK);
        assertFree(SIM0);
    }

    // ------------------------------------------------------------------------------------------------ ended, then members come and go

    @Test
    void aRequestThatTimedOutWhileParkedIsNotGrantedARecorderThatComesBackWithABlankDisc() {
        eject(SIM0);
        eject(SIM1);
        TestSubscriber<LockGrant> p = pool(t.session("Pool"), WRITABLE_4G, waitUpTo(Duration.ofSeconds(5)));
        t.advance(Duration.ofSeconds(5));
        assertTimedOutOnce(p);
        t.sim.removeRecorder(SIM0);
        t.settle();
        t.sim.addRecorder(SIM0.value()); // a fresh device with a blank BD-RE
        t.settle();
        insert(SIM1, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R));
        t.advance(Duration.ofMinutes(1));
        assertThat(p.getReceivedOnNext()).isEmpty();
        assertFree(SIM0);
        assertFree(SIM1);
    }

    @Test
    void aRequestWhosePoolWasRemovedFailsOnceAndItsDeadlineChangesNothingLater() {
        eject(SIM0);
        eject(SIM1);
        AgentStatistics before = t.agent.statistics();
        TestSubscriber<LockGrant> p = pool(t.session("Pool"), WRITABLE_4G, waitUpTo(Duration.ofSeconds(5)));
        t.sim.removeRecorder(SIM0);
        t.sim.removeRecorder(SIM1);
        t.settle();
        assertThat(p.expectTerminalError()).isInstanceOf(RecorderRemovedException.class);
        t.sim.addRecorder(SIM0.value());
        t.settle();
        t.advance(Duration.ofSeconds(10));
        assertThat(p.getReceivedOnNext()).isEmpty();
        assertThat(p.getProtocolErrors()).isEmpty();
        AgentStatistics after = t.agent.statistics();
        assertThat(failed(after) - failed(before)).isEqualTo(1);
        assertThat(after.acquireTimeouts() - before.acquireTimeouts()).as("a removed pool counted as a timeout")
                .isZero();
        assertThat(timeoutEvents()).isEmpty();
        assertFree(SIM0);
    }

    @Test
    void aRequestParkedAtARecorderThatIsRemovedAndComesBackKeepsItsOriginalDeadline() {
        RecorderSelector dvdPlusR = RecorderSelector.any().withMedium(m -> m.profile() == MediaProfile.DVD_PLUS_R);
        TestSubscriber<LockGrant> p = pool(t.session("Pool"), dvdPlusR, waitUpTo(Duration.ofSeconds(8)));
        t.advance(Duration.ofSeconds(3));
        t.sim.removeRecorder(SIM0);
        t.settle();
        assertThat(p.isTerminated()).isFalse();
        t.sim.addRecorder(SIM0.value()); // back with a blank BD-RE: parked again
        t.settle();
        t.advance(Duration.ofSeconds(2));
        t.sim.removeRecorder(SIM1);
        t.settle();
        t.sim.addRecorder(SIM1.value());
        t.settle();
        t.advance(Duration.ofMillis(2999));
        assertThat(p.isTerminated()).as("ended early: %s", p.getTerminalSignal()).isFalse();
        t.advance(Duration.ofMillis(1));
        assertTimedOutOnce(p);
        insert(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R));
        assertThat(p.getReceivedOnNext()).isEmpty();
        assertFree(SIM0);
    }

    @Test
    void aRequestCancelledWhileParkedLeavesNoPlaceForAnArrivingOrRefilledRecorder() {
        eject(SIM0);
        eject(SIM1);
        AgentStatistics before = t.agent.statistics();
        TestSubscriber<LockGrant> p = pool(t.session("Pool"), WRITABLE_4G, waitUpTo(Duration.ofSeconds(5)));
        p.cancel();
        t.settle();
        t.sim.addRecorder("sim-2");
        t.settle();
        insert(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R));
        t.advance(Duration.ofSeconds(10));
        assertThat(p.getReceivedOnNext()).isEmpty();
        AgentStatistics after = t.agent.statistics();
        assertThat(after.acquiresCancelled() - before.acquiresCancelled()).isEqualTo(1);
        assertThat(after.acquireTimeouts() - before.acquireTimeouts()).isZero();
        assertThat(t.settle().waiting()).isZero();
        assertFree(SIM0);
        assertFree(RecorderId.of("sim-2"));
    }

    // ------------------------------------------------------------------------------------------------ hung and failing reads of the medium

    @Test
    void aParkedRequestTimesOutAtItsDeadlineWhileTheReadOfAnInsertedMediumHangs() {
        eject(SIM0);
        eject(SIM1);
        TestSubscriber<LockGrant> p = pool(t.session("Pool"), WRITABLE_4G, waitUpTo(Duration.ofSeconds(5)));
        t.advance(Duration.ofSeconds(2));
        t.sim.hangNext(SIM0, Operation.MEDIA, 1);
        t.sim.insertDisc(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R));
        t.settle();
        t.advance(Duration.ofMillis(2999));
        assertThat(p.isTerminated()).as("ended early: %s", p.getTerminalSignal()).isFalse();
        t.advance(Duration.ofMillis(1));
        assertTimedOutOnce(p);
        t.sim.releaseHangs(SIM0);
        t.settle();
        assertThat(p.getReceivedOnNext()).isEmpty();
        assertFree(SIM0);
        assertThat(mediaEvents(SIM0)).extracting(MediaChangedEvent::state).endsWith(MediaState.MEDIA_PRESENT);
    }

    @Test
    void aRequestThatMayNotWaitEndsWhenTheFirstReadOfEveryMediumHangs() {
        t.sim.hangNext(SIM0, Operation.MEDIA, 1);
        t.sim.hangNext(SIM1, Operation.MEDIA, 1);
        ClientSession s = t.session("Pool");
        TestSubscriber<LockGrant> p = pool(s, WRITABLE_4G, AcquireOptions.DEFAULT);
        t.advanceInSteps(Duration.ofSeconds(15), Duration.ofSeconds(1)); // past the command timeout
        assertThat(p.isTerminated()).as("a request that may not wait is still unanswered: %s", p.getTerminalSignal())
                .isTrue();
        t.sim.releaseHangs(SIM0);
        t.sim.releaseHangs(SIM1);
        t.settle();
    }

    @Test
    void aWaitingRequestTimesOutAtItsDeadlineWhenTheFirstReadOfEveryMediumHangs() {
        t.sim.hangNext(SIM0, Operation.MEDIA, 1);
        t.sim.hangNext(SIM1, Operation.MEDIA, 1);
        TestSubscriber<LockGrant> p = pool(t.session("Pool"), WRITABLE_4G, waitUpTo(Duration.ofSeconds(30)));
        t.advanceInSteps(Duration.ofMillis(29_999), Duration.ofSeconds(1));
        t.sim.releaseHangs(SIM0); // nothing changed: the read finds the blank BD-RE
        t.sim.releaseHangs(SIM1);
        t.settle();
        if (p.isTerminatedError()) { // a member may fail the request for a reason of its own, never a timeout
            assertThat(p.getTerminalSignal().getThrowable()).as("timed out before its deadline")
                    .isNotInstanceOf(AcquireTimeoutException.class);
        }
        t.advance(Duration.ofSeconds(1));
        assertThat(p.isTerminated()).isTrue();
    }

    @Test
    void anEjectAndAnInsertWhileTheReadOfTheFirstHangsAreEachPublishedOnceAndTheLastMediumWins() {
        t.settle();
        t.sim.hangNext(SIM0, Operation.MEDIA, 1);
        t.sim.changeMedia(SIM0, MediaState.NO_MEDIA);
        t.settle(); // the read of the ejection hangs
        t.sim.insertDisc(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R)); // its read queues behind the hung one
        t.sim.releaseHangs(SIM0);
        t.settle();
        t.advance(Duration.ofSeconds(11)); // past the command timeout, if the hung read was given up
        List<MediaChangedEvent> seen = mediaEvents(SIM0);
        assertThat(seen).extracting(MediaChangedEvent::state).as("media events of SIM0: %s", seen)
                .containsExactly(MediaState.NO_MEDIA, MediaState.MEDIA_PRESENT);
        MediaInfo now = t.agent.media(SIM0).block(BLOCK);
        assertThat(now.profile()).isEqualTo(MediaProfile.DVD_PLUS_R);
        MediaChangedEvent last = seen.get(seen.size() - 1);
        assertThat(last.media()).as("details of the last event").isNotNull();
        assertThat(last.media().profile()).isEqualTo(MediaProfile.DVD_PLUS_R);
        TestSubscriber<LockGrant> p = pool(t.session("Pool"),
                RecorderSelector.anyOf(SIM0).withWritableMedium(4 * GIGABYTE), AcquireOptions.DEFAULT);
        assertThat(p.getReceivedOnNext()).singleElement().satisfies(g -> assertThat(g.recorder()).isEqualTo(SIM0));
    }

    /**
     * Was a finding (fixed: a read that returns after a later change gives its details to that change only): the read
     * of an ejection hangs; a blank DVD+R is inserted; the hang is released. Both changes are published once and in
     * order (see the test above), but the {@code NO_MEDIA} event carries the details of the DVD+R read after the hang
     * ({@code "DVD+R, blank, 4700372992 bytes free"}, {@code hasMedium()} true): an event whose state and details
     * contradict each other. Expected details without a medium (or null). Deterministic.
     */
    @Test
    void theDetailsOfAMediaChangedEventDescribeTheStateItAnnounces() {
        t.settle();
        t.sim.hangNext(SIM0, Operation.MEDIA, 1);
        t.sim.changeMedia(SIM0, MediaState.NO_MEDIA);
        t.settle();
        t.sim.insertDisc(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R));
        t.sim.releaseHangs(SIM0);
        t.settle();
        for (MediaChangedEvent e : mediaEvents(SIM0)) {
            if (e.media() != null && e.media().isKnown()) {
                assertThat(e.media().hasMedium()).as("event %s announces %s with details %s", e.sequence(),
                        e.state(), e.media().describe()).isEqualTo(e.state() == MediaState.MEDIA_PRESENT);
            }
        }
    }

    @Test
    void aFailingReadPublishesTheChangeOnceWithoutDetailsAndTheNextChangeIsReadAgain() {
        t.settle();
        t.sim.failNext(SIM0, Operation.MEDIA, HResult.E_FAIL, 1);
        eject(SIM0);
        insert(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R));
        List<MediaChangedEvent> seen = mediaEvents(SIM0);
        assertThat(seen).extracting(MediaChangedEvent::state).as("media events: %s", seen)
                .containsExactly(MediaState.NO_MEDIA, MediaState.MEDIA_PRESENT);
        assertThat(seen.get(0).media() == null || !seen.get(0).media().isKnown()
                || !seen.get(0).media().hasMedium()).as("details of the failed read: %s", seen.get(0).media()).isTrue();
        assertThat(seen.get(1).media()).isNotNull();
        assertThat(seen.get(1).media().profile()).isEqualTo(MediaProfile.DVD_PLUS_R);
        TestSubscriber<LockGrant> p = pool(t.session("Pool"),
                RecorderSelector.anyOf(SIM0).withWritableMedium(4 * GIGABYTE), AcquireOptions.DEFAULT);
        assertThat(p.getReceivedOnNext()).singleElement().satisfies(g -> assertThat(g.recorder()).isEqualTo(SIM0));
    }

    /**
     * Was a finding (fixed: a failed read is made again at the next notice or poll of the same medium, and by the next
     * request that needs it): the read of an inserted blank DVD+R fails once ({@code MediaChangedEvent(MEDIA_PRESENT)}
     * without details, as documented); the same kind of disc is then inserted again ({@code insertDisc}): no {@code
     * MediaChangedEvent} is published for it, the agent does not read the medium again, and the waiting {@code
     * withWritableMedium} request stays parked although {@code agent.media(SIM0)} reports a blank, writable DVD+R
     * (expected a grant on SIM0, observed none). With {@code mediaPollInterval} 0 (the test agent) nothing re-reads a
     * medium whose read failed; whether a poll would heal it was not checked. Deterministic.
     */
    @Test
    void aWaitingRequestIsGrantedAfterAFailedReadOnceTheMediumIsReadAgain() {
        eject(SIM0);
        eject(SIM1);
        TestSubscriber<LockGrant> p = pool(t.session("Pool"), WRITABLE_4G, waitUpTo(Duration.ofSeconds(20)));
        t.sim.failNext(SIM0, Operation.MEDIA, HResult.E_FAIL, 1);
        insert(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R)); // read fails: unknown medium, no grant
        assertThat(p.getReceivedOnNext()).as("granted on a medium that could not be read").isEmpty();
        insert(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R)); // read again
        assertThat(p.getReceivedOnNext()).as("media events %s, media now %s", mediaEvents(SIM0),
                t.agent.media(SIM0).block(BLOCK)).singleElement().satisfies(g -> assertThat(g.recorder()).isEqualTo(SIM0));
    }

    /**
     * Probe of the owner refresh (default 2 s) around a hung read of the medium, with a watcher ({@code events()}):
     * README "Outside holders" says the refresh's query never runs while a call on the recorder hangs, so once the
     * hung read is the only native call, the agent should settle whatever virtual time does.
     *
     * <p>Was a finding (fixed: the refresh never queues behind a call in flight): after 5 s of virtual time, {@code
     * activity().nativeCallsInFlight()} is 2 while the simulator blocks 1 call (expected at most 1): a second native
     * call is queued on SIM0 behind the hung read. With {@code ownerRefreshInterval(0)} the same hang scenarios settle
     * (the rest of this class), so it is most likely the owner refresh (not proven: the call's kind is not visible
     * through the public API). Deterministic.
     */
    @Test
    void theOwnerRefreshDoesNotQueueANativeCallBehindAHungReadOfTheMedium() {
        try (TestAgent other = TestAgent.start(2, b -> { })) {
            Disposable watching = other.agent.events().subscribe();
            other.settle();
            other.sim.hangNext(SIM0, Operation.MEDIA, 1);
            other.sim.changeMedia(SIM0, MediaState.NO_MEDIA);
            other.settle();
            other.time.advanceTimeBy(Duration.ofSeconds(5));
            try {
                io.discagent.agent.AgentActivity activity = null;
                int blocked = 0;
                long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                while (System.nanoTime() < end) { // a real, bounded wait: the activity should come down to the hang
                    activity = other.agent.activity().block(BLOCK);
                    blocked = other.sim.state(SIM0).blockedCalls() + other.sim.state(SIM1).blockedCalls();
                    if (activity.nativeCallsInFlight() <= blocked) {
                        break;
                    }
                    Thread.onSpinWait();
                }
                assertThat(activity.nativeCallsInFlight()).as("native calls in flight (%s) vs blocked by the"
                        + " simulator (%d)", activity, blocked).isLessThanOrEqualTo(blocked);
            } finally {
                other.sim.releaseHangs(SIM0);
                watching.dispose();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ burns

    @Test
    void anEjectDuringABurnIsPublishedOnceAndAWaitingRequestDoesNotGetTheEmptyRecorder() throws IOException {
        eject(SIM1);
        insert(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R));
        Path image = dir.resolve("disc.iso");
        Files.write(image, new byte[1 << 20]);
        t.sim.setBurnSpeed(SIM0, 64 * 1024); // 16 s of virtual time
        ClientSession burner = t.session("Burner");
        LockGrant g = burner.acquire(SIM0).block(BLOCK);
        TestSubscriber<LockGrant> p = pool(t.session("Pool"), RecorderSelector.any().withWritableMedium(0),
                waitUpTo(Duration.ofSeconds(60)));
        TestSubscriber<BurnProgress> burn = TestSubscriber.create();
        burner.burn(g, BurnRequest.builder(image).build()).subscribe(burn);
        t.advanceInSteps(Duration.ofSeconds(4), Duration.ofMillis(250));
        assertThat(burn.isTerminated()).as("burn ended early: %s", burn.getTerminalSignal()).isFalse();
        int before = mediaEvents(SIM0).size();
        eject(SIM0);
        t.advanceInSteps(Duration.ofSeconds(20), Duration.ofMillis(250));
        assertThat(burn.isTerminated()).as("burn without its disc: %s", burn.getTerminalSignal()).isTrue();
        burner.release(g).block(BLOCK);
        t.settle();
        List<MediaChangedEvent> after = mediaEvents(SIM0).subList(before, mediaEvents(SIM0).size());
        assertThat(after).extracting(MediaChangedEvent::state).as("media events after the eject: %s", after)
                .containsExactly(MediaState.NO_MEDIA);
        assertThat(t.agent.media(SIM0).block(BLOCK).hasMedium()).isFalse();
        assertThat(p.getReceivedOnNext()).as("granted the emptied recorder").isEmpty();
        t.advance(Duration.ofSeconds(40));
        assertTimedOutOnce(p);
        assertFree(SIM0);
    }

    @Test
    void aRequestWaitingBehindABurnerKeepsItsDeadlineAcrossTheReadAfterTheBurn() throws IOException {
        eject(SIM1);
        insert(SIM0, SimulatedDisc.blank(MediaProfile.DVD_PLUS_RW));
        Path image = dir.resolve("disc.iso");
        Files.write(image, new byte[1 << 20]);
        t.sim.setBurnSpeed(SIM0, 256 * 1024); // 4 s
        ClientSession burner = t.session("Burner");
        LockGrant g = burner.acquire(SIM0).block(BLOCK);
        TestSubscriber<LockGrant> p = pool(t.session("Pool"), RecorderSelector.any().withWritableMedium(0),
                waitUpTo(Duration.ofSeconds(30)));
        TestSubscriber<BurnProgress> burn = TestSubscriber.create();
        burner.burn(g, BurnRequest.builder(image).build()).subscribe(burn);
        t.advanceInSteps(Duration.ofSeconds(20), Duration.ofMillis(250));
        assertThat(burn.isTerminatedComplete()).as("burn: %s", burn.getTerminalSignal()).isTrue();
        t.advance(Duration.ofMillis(9999)); // the burner keeps the recorder; the request's deadline is at 30 s
        assertThat(p.isTerminated()).as("ended early: %s", p.getTerminalSignal()).isFalse();
        t.advance(Duration.ofMillis(1));
        assertTimedOutOnce(p);
        burner.release(g).block(BLOCK);
        t.settle();
        assertThat(p.getReceivedOnNext()).isEmpty();
        assertFree(SIM0);
    }
}
