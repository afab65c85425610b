package io.discagent.agent.adversary;

import static io.discagent.agent.TestAgent.SIM0;
import static io.discagent.agent.TestAgent.SIM1;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.AgentStatistics;
import io.discagent.agent.TestAgent;
import io.discagent.agent.backend.simulated.SimulatedDeviceState;
import io.discagent.agent.backend.simulated.Simulator;
import io.discagent.agent.backend.simulated.Simulator.HandOver;
import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderSelector;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.RecorderException;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.LockTransition.Cause;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import io.discagent.api.burn.BurnProgress;
import io.discagent.api.burn.BurnRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.subscriber.TestSubscriber;

/**
 * Hand-offs in place ({@link HandOver#RENAME_IN_PLACE}, as the Linux backend's default): the next waiter is granted on
 * the event loop without a native call, and the recorder learns the new holder's name before the agent's next native
 * call on it. Everything a client can observe must be what {@link HandOver#KEEP_CLAIM} shows, timing aside: one holder
 * at a time, no grant without the native claim, the native owner named after the holder once the agent has made a
 * call, balanced native acquires and releases, FIFO order, transitions and statistics.
 */
class InPlaceHandOverAdversaryTests {

    private static final Duration BLOCK = Duration.ofSeconds(10);
    private static final AcquireOptions WAIT = AcquireOptions.waitUpTo(BLOCK).withRetry(RetryPolicy.none());

    private final List<TestAgent> agents = new ArrayList<>();
    private final Queue<String> violations = new ConcurrentLinkedQueue<>();

    @AfterEach
    void closeAgents() {
        for (TestAgent t : agents) {
            t.close();
            Simulator.LockCounts counts = t.sim.lockCounts();
            assertThat(counts.taken()).as("native acquires vs releases after the agent closed")
                    .isEqualTo(counts.dropped());
            for (RecorderId id : t.sim.recorders()) {
                assertThat(t.sim.state(id).nativeOwner()).as("native owner of %s after the agent closed", id)
                        .isNull();
            }
        }
        assertThat(violations).as("violations seen on the event loop").isEmpty();
    }

    private TestAgent start(HandOver mode) {
        TestAgent t = TestAgent.start(mode);
        agents.add(t);
        return t;
    }

    private static TestSubscriber<LockGrant> waitFor(TestAgent t, ClientSession session, RecorderId id) {
        TestSubscriber<LockGrant> probe = TestSubscriber.create();
        session.acquire(id, WAIT).subscribe(probe);
        t.settle();
        return probe;
    }

    /** The native owner after one native call the agent makes on the recorder (a media read). */
    private static String nativeOwnerAfterACall(TestAgent t, RecorderId id) {
        t.agent.media(id).block(BLOCK);
        t.settle();
        return t.sim.state(id).nativeOwner();
    }

    private static String agentOwner(TestAgent t, RecorderId id) {
        return t.agent.exclusiveAccessOwner(id).block(BLOCK);
    }

    // ------------------------------------------------------------------------------------------------ findings
    // Found by an adversarial pass. Fixed and run by default: the renames after a dropped delivery, a cancellation or
    // a refused pool place, a lost lock taken again by a pending rename, an invalid handle under a hold. Open (tagged
    // 'finding', README "Hand-offs keep the claim"): a lock lost just before an in-place hand-off.

    /**
     * A waiter whose grant is dropped in delivery (a {@code map} that throws on the grant) while the lock is handed to
     * it in place: the agent releases that grant at once and hands the recorder on in place to the next waiter, C.
     * The recorder must then be renamed to C before the agent's next call on it.
     *
     * <p>Observed with {@code RENAME_IN_PLACE}: after a media read the simulator names "Client B" (the session whose
     * grant was dropped, and which holds nothing) while the agent reports C as the holder; deterministic. Cause:
     * {@code RecorderSlot.releaseOrHandOver} delivers the grant inside {@code take(next)}, whose dropped delivery
     * re-enters {@code releaseOrHandOver} and hands to C (rename C); back in the outer call it reads the current hold
     * (C's) and calls {@code renameLater(B's name, C's hold)}, overwriting C's rename. {@code KEEP_CLAIM} names C
     * ({@link #keepClaimNamesTheHolderAfterADroppedDelivery}).
     */
    @Test
    void aDeliveryDroppedDuringAnInPlaceHandOffLeavesTheNextHolderNamed() {
        assertThat(droppedDeliveryScenario(HandOver.RENAME_IN_PLACE)).isEqualTo("Client C");
    }

    @Test
    void keepClaimNamesTheHolderAfterADroppedDelivery() {
        assertThat(droppedDeliveryScenario(HandOver.KEEP_CLAIM)).isEqualTo("Client C");
    }

    /** Returns the native owner after a media read while C holds. */
    private String droppedDeliveryScenario(HandOver mode) {
        TestAgent t = start(mode);
        ClientSession a = t.session("Client A");
        ClientSession b = t.session("Client B");
        ClientSession c = t.session("Client C");
        a.acquire(SIM0).block(BLOCK);
        TestSubscriber<Object> toB = TestSubscriber.create();
        b.acquire(SIM0, WAIT).map(g -> {
            throw new IllegalStateException("this client refuses its grant");
        }).subscribe(toB);
        t.settle();
        TestSubscriber<LockGrant> toC = waitFor(t, c, SIM0);
        assertThat(a.release(SIM0).block(BLOCK)).isZero();
        toC.block(BLOCK);
        t.settle();
        assertThat(toB.expectTerminalError()).isInstanceOf(IllegalStateException.class);
        assertThat(toC.getReceivedOnNext()).hasSize(1);
        assertThat(agentOwner(t, SIM0)).isEqualTo("Client C");
        assertThat(b.lockCount(SIM0).block(BLOCK)).isZero();
        String owner = nativeOwnerAfterACall(t, SIM0);
        assertThat(c.release(SIM0).block(BLOCK)).isZero();
        t.settle();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
        return owner;
    }

    /**
     * The same re-entry through a cancellation that lands between the hand-off's choice of the waiter and the grant's
     * delivery (what a {@code dispose()} from another thread can do; made deterministic here by cancelling from the
     * lock transition subscriber, which the event loop calls inside that window).
     *
     * <p>Observed with {@code RENAME_IN_PLACE}: the simulator names "Client B" (cancelled, holding nothing) after a
     * media read while C holds; deterministic. {@code KEEP_CLAIM} names C
     * ({@link #keepClaimNamesTheHolderAfterACancellationInTheHandOff}).
     */
    @Test
    void aCancellationInsideTheInPlaceHandOffLeavesTheNextHolderNamed() {
        assertThat(cancelledInHandOffScenario(HandOver.RENAME_IN_PLACE)).isEqualTo("Client C");
    }

    @Test
    void keepClaimNamesTheHolderAfterACancellationInTheHandOff() {
        assertThat(cancelledInHandOffScenario(HandOver.KEEP_CLAIM)).isEqualTo("Client C");
    }

    private String cancelledInHandOffScenario(HandOver mode) {
        TestAgent t = start(mode);
        ClientSession a = t.session("Client A");
        ClientSession b = t.session("Client B");
        ClientSession c = t.session("Client C");
        a.acquire(SIM0).block(BLOCK);
        List<LockGrant> toB = new CopyOnWriteArrayList<>();
        Disposable waitingB = b.acquire(SIM0, WAIT).subscribe(toB::add);
        t.settle();
        TestSubscriber<LockGrant> toC = waitFor(t, c, SIM0);
        Disposable watch = t.agent.lockTransitions(SIM0).subscribe(tr -> {
            if (tr.cause() == Cause.ACQUIRED && "Client B".equals(tr.to().owner())) {
                waitingB.dispose(); // the client gives up at this very moment
            }
        });
        t.settle();
        assertThat(a.release(SIM0).block(BLOCK)).isZero();
        toC.block(BLOCK);
        t.settle();
        watch.dispose();
        assertThat(toB).isEmpty();
        assertThat(agentOwner(t, SIM0)).isEqualTo("Client C");
        String owner = nativeOwnerAfterACall(t, SIM0);
        assertThat(c.release(SIM0).block(BLOCK)).isZero();
        t.settle();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
        return owner;
    }

    /**
     * A pool request with a medium condition whose place is handed the recorder in place just after a media change
     * (the medium not read again yet): the pool refuses the grant, the slot releases it and hands on in place to C.
     * The recorder must then be renamed to C.
     *
     * <p>Observed with {@code RENAME_IN_PLACE}: the simulator names "Pool P" (which holds nothing) after a media read
     * while C holds; deterministic (the media read after the change is kept hanging). Same cause as
     * {@link #aDeliveryDroppedDuringAnInPlaceHandOffLeavesTheNextHolderNamed}.
     */
    @Test
    void aPoolPlaceRefusedDuringAnInPlaceHandOffLeavesTheNextHolderNamed() {
        TestAgent t = start(HandOver.RENAME_IN_PLACE);
        ClientSession a = t.session("Client A");
        ClientSession x = t.session("Client X");
        ClientSession p = t.session("Pool P");
        ClientSession c = t.session("Client C");
        a.acquire(SIM0).block(BLOCK);
        x.acquire(SIM1).block(BLOCK);
        t.agent.media(SIM0).block(BLOCK); // read: the pool's condition can be tested on it
        t.agent.media(SIM1).block(BLOCK);
        TestSubscriber<LockGrant> toP = TestSubscriber.create();
        p.acquireAny(RecorderSelector.anyOf(SIM0, SIM1).withMedium(m -> true), WAIT).subscribe(toP);
        t.settle();
        TestSubscriber<LockGrant> toC = waitFor(t, c, SIM0);
        // the medium changes and its read hangs: what the agent last read of SIM0 is stale when SIM0 is handed on
        t.sim.hangNext(SIM0, Operation.MEDIA, 1);
        t.sim.changeMedia(SIM0, MediaState.NO_MEDIA);
        t.settle();
        assertThat(a.release(SIM0).block(BLOCK)).isZero();
        toC.block(BLOCK);
        t.settle();
        assertThat(toP.getReceivedOnNext()).as("the pool got nothing on SIM0").isEmpty();
        assertThat(agentOwner(t, SIM0)).isEqualTo("Client C");
        toP.cancel();
        t.sim.releaseHangs(SIM0);
        t.settle();
        String owner = nativeOwnerAfterACall(t, SIM0);
        assertThat(c.release(SIM0).block(BLOCK)).isZero();
        assertThat(x.release(SIM1).block(BLOCK)).isZero();
        t.settle();
        assertThat(owner).isEqualTo("Client C");
    }

    /**
     * The native lock is lost (a bus reset) and an outside process takes the drive just as the holder releases with a
     * waiter queued, before the agent has heard of the loss (the loss is made from the lock transition subscriber of
     * the release, which the event loop calls right before the hand-off).
     *
     * <p>Expected, as with {@code KEEP_CLAIM} ({@link #keepClaimGrantsNothingWhileAnOutsiderHoldsAfterALoss}): the
     * waiter is not granted while "wodim" holds the drive (the hand-over meets the outside holder, and the waiter, with
     * no retries, fails with {@code RecorderLockedException}). Observed with {@code RENAME_IN_PLACE}: B is granted
     * (lock count 1) while the simulator shows "wodim" as the drive's holder and no native holder of the agent: two
     * holders at once, until the loss notice ends B's hold ({@code FORCED_BY_BACKEND}); deterministic.
     */
    @Test
    @Tag("finding")
    void aLockLostAsTheHolderReleasesIsNotGrantedInPlaceWhileAnOutsiderHoldsIt() {
        assertThat(lostAtReleaseScenario(HandOver.RENAME_IN_PLACE)).as("grants B received while wodim held the drive")
                .isEmpty();
    }

    @Test
    void keepClaimGrantsNothingWhileAnOutsiderHoldsAfterALoss() {
        assertThat(lostAtReleaseScenario(HandOver.KEEP_CLAIM)).isEmpty();
    }

    private List<String> lostAtReleaseScenario(HandOver mode) {
        TestAgent t = start(mode);
        ClientSession a = t.session("Client A");
        ClientSession b = t.session("Client B");
        a.acquire(SIM0).block(BLOCK);
        List<String> grantsWhileOutside = new CopyOnWriteArrayList<>();
        TestSubscriber<LockGrant> toB = TestSubscriber.create();
        b.acquire(SIM0, WAIT).doOnNext(g -> {
            SimulatedDeviceState now = t.sim.state(SIM0);
            if (now.nativeOwner() == null && now.externalOwner() != null) {
                grantsWhileOutside.add("granted " + g + " while " + now.externalOwner() + " holds " + SIM0);
            }
        }).subscribe(toB);
        t.settle();
        Disposable watch = t.agent.lockTransitions(SIM0).subscribe(tr -> {
            if (tr.cause() == Cause.RELEASED && tr.to().isFree() && "Client A".equals(tr.from().owner())) {
                t.sim.loseLock(SIM0);
                t.sim.lockExternally(SIM0, "wodim");
            }
        });
        t.settle();
        assertThat(a.release(SIM0).block(BLOCK)).isZero();
        t.settle();
        watch.dispose();
        assertThat(b.lockCount(SIM0).block(BLOCK)).as("B's count once the loss is known").isZero();
        t.sim.unlockExternally(SIM0);
        b.close().block(BLOCK);
        t.settle();
        return grantsWhileOutside;
    }

    /**
     * The native lock is lost just as the holder releases with a waiter queued, before the agent has heard of the
     * loss (made from the release's lock transition subscriber, as above, with no outsider this time).
     *
     * <p>Expected, as with {@code KEEP_CLAIM} ({@link #keepClaimKeepsTheNextHolderAfterALossAtRelease}): the hand-over
     * finds the lock gone and takes it afresh for B, who keeps a real hold (count 1, named natively). Observed with
     * {@code RENAME_IN_PLACE}: B is granted without the native claim, then the loss notice ends B's hold
     * ({@code FORCED_BY_BACKEND}, count 0), though the lock was lost under A; deterministic.
     */
    @Test
    @Tag("finding")
    void aLockLostAsTheHolderReleasesDoesNotCostTheNextHolderItsHold() {
        assertThat(lostAtReleaseWithoutOutsider(HandOver.RENAME_IN_PLACE)).isEqualTo("1:Client B");
    }

    @Test
    void keepClaimKeepsTheNextHolderAfterALossAtRelease() {
        assertThat(lostAtReleaseWithoutOutsider(HandOver.KEEP_CLAIM)).isEqualTo("1:Client B");
    }

    /** B's count and the native owner after a call, once the loss is known. */
    private String lostAtReleaseWithoutOutsider(HandOver mode) {
        TestAgent t = start(mode);
        ClientSession a = t.session("Client A");
        ClientSession b = t.session("Client B");
        a.acquire(SIM0).block(BLOCK);
        TestSubscriber<LockGrant> toB = waitFor(t, b, SIM0);
        Disposable watch = t.agent.lockTransitions(SIM0).subscribe(tr -> {
            if (tr.cause() == Cause.RELEASED && tr.to().isFree() && "Client A".equals(tr.from().owner())) {
                t.sim.loseLock(SIM0);
            }
        });
        t.settle();
        assertThat(a.release(SIM0).block(BLOCK)).isZero();
        toB.block(BLOCK);
        t.settle();
        watch.dispose();
        int count = b.lockCount(SIM0).block(BLOCK);
        String owner = nativeOwnerAfterACall(t, SIM0);
        b.close().block(BLOCK);
        t.settle();
        return count + ":" + owner;
    }

    /**
     * The lock is lost after an in-place hand-off, before the agent made any native call for the new holder. The
     * hold ends ({@code FORCED_BY_BACKEND}); the agent then has no client that wants the drive.
     *
     * <p>Expected, as with {@code KEEP_CLAIM}: no native acquire after the loss (one lock taken in all). Observed
     * with {@code RENAME_IN_PLACE}: the release that follows the loss first performs the pending rename, which finds
     * the lock gone and takes it afresh ({@code locksTaken} 2), then drops it: the agent claims the drive natively
     * for a hold that has already ended (an outsider that took the drive meanwhile makes that rename fail and the
     * release logs a warning); deterministic.
     */
    @Test
    void aLockLostAfterAnInPlaceHandOffIsNotTakenAgainForNobody() {
        assertThat(lostAfterHandOffScenario(HandOver.RENAME_IN_PLACE)).as("native acquires").isOne();
    }

    @Test
    void keepClaimTakesNothingAgainAfterALoss() {
        assertThat(lostAfterHandOffScenario(HandOver.KEEP_CLAIM)).isOne();
    }

    private long lostAfterHandOffScenario(HandOver mode) {
        TestAgent t = start(mode);
        ClientSession a = t.session("Client A");
        ClientSession b = t.session("Client B");
        List<LockTransition> transitions = new CopyOnWriteArrayList<>();
        Disposable watch = t.agent.lockTransitions(SIM0).subscribe(transitions::add);
        a.acquire(SIM0).block(BLOCK);
        TestSubscriber<LockGrant> toB = waitFor(t, b, SIM0);
        a.release(SIM0).block(BLOCK);
        toB.block(BLOCK);
        t.settle();
        t.sim.loseLock(SIM0);
        t.settle();
        watch.dispose();
        assertThat(b.lockCount(SIM0).block(BLOCK)).isZero();
        assertThat(transitions).last().satisfies(tr -> {
            assertThat(tr.cause()).isEqualTo(Cause.FORCED_BY_BACKEND);
            assertThat(tr.from().owner()).isEqualTo("Client B");
        });
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
        return t.sim.state(SIM0).locksTaken();
    }

    /**
     * A native call under a hold fails with an invalid handle (a media read): the agent closes the handle, which drops
     * the native lock. Outside the change under attack (every hand-over mode), but it is the way an in-place holder
     * ends up granted without the native claim: the hold must then end, or the claim be taken again.
     *
     * <p>Observed (both modes): the session still counts 1 and the agent names it the owner, while the simulator
     * shows no native holder, and a process outside the agent can lock the drive ({@code lockExternally} succeeds):
     * two holders at once; deterministic.
     */
    @ParameterizedTest
    @EnumSource(value = HandOver.class, names = {"KEEP_CLAIM", "RENAME_IN_PLACE"})
    void anInvalidHandleUnderAnInPlaceHoldDoesNotLeaveItWithoutTheClaim(HandOver mode) {
        TestAgent t = start(mode);
        ClientSession a = t.session("Client A");
        ClientSession b = t.session("Client B");
        a.acquire(SIM0).block(BLOCK);
        TestSubscriber<LockGrant> toB = waitFor(t, b, SIM0);
        a.release(SIM0).block(BLOCK);
        toB.block(BLOCK);
        t.sim.failNext(SIM0, Operation.MEDIA, io.discagent.api.error.HResult.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE, 1);
        t.agent.media(SIM0).onErrorResume(e -> Mono.empty()).block(BLOCK);
        t.settle();
        int count = b.lockCount(SIM0).block(BLOCK);
        String nativeOwner = t.sim.state(SIM0).nativeOwner();
        boolean outsiderGotIn;
        try {
            t.sim.lockExternally(SIM0, "wodim");
            outsiderGotIn = true;
            t.sim.unlockExternally(SIM0);
        } catch (RecorderException locked) {
            outsiderGotIn = false;
        }
        if (count > 0) {
            b.release(SIM0).block(BLOCK);
        }
        t.settle();
        assertThat(count == 0 || ("Client B".equals(nativeOwner) && !outsiderGotIn))
                .as("B counts %s, native owner %s, an outsider could lock it: %s", count, nativeOwner, outsiderGotIn)
                .isTrue();
    }

    // ------------------------------------------------------------------------------------------------ regressions

    /**
     * Five sessions queued behind a holder: each release hands in place to the next in FIFO order; the transitions
     * go holder, free, next holder, with the right owners; statistics count one hand-over each; the native owner
     * after a call is the last holder; the same as {@code KEEP_CLAIM}.
     */
    @ParameterizedTest
    @EnumSource(value = HandOver.class, names = {"KEEP_CLAIM", "RENAME_IN_PLACE"})
    void fifoTransitionsAndStatisticsAcrossAChainOfHandOffs(HandOver mode) {
        TestAgent t = start(mode);
        List<LockTransition> transitions = new CopyOnWriteArrayList<>();
        Disposable watch = t.agent.lockTransitions(SIM0).subscribe(transitions::add);
        List<ClientSession> sessions = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            sessions.add(t.session("Client " + i));
        }
        sessions.get(0).acquire(SIM0).block(BLOCK);
        List<TestSubscriber<LockGrant>> waiters = new ArrayList<>();
        for (int i = 1; i < 6; i++) {
            waiters.add(waitFor(t, sessions.get(i), SIM0));
        }
        AgentStatistics before = t.agent.statistics();
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            assertThat(sessions.get(i).release(SIM0).block(BLOCK)).isZero();
            waiters.get(i).block(BLOCK);
            order.add(agentOwner(t, SIM0));
            for (int j = i + 1; j < 5; j++) {
                assertThat(waiters.get(j).getReceivedOnNext()).as("waiter %s before its turn", j + 1).isEmpty();
            }
        }
        assertThat(order).containsExactly("Client 1", "Client 2", "Client 3", "Client 4", "Client 5");
        t.settle();
        AgentStatistics after = t.agent.statistics();
        assertThat(after.handOvers() - before.handOvers()).isEqualTo(5);
        assertThat(after.grants() - before.grants()).isEqualTo(5);
        assertThat(nativeOwnerAfterACall(t, SIM0)).isEqualTo("Client 5");
        assertThat(sessions.get(5).release(SIM0).block(BLOCK)).isZero();
        t.settle();
        watch.dispose();
        List<String> story = new ArrayList<>();
        for (LockTransition tr : transitions) {
            if (tr.cause() != Cause.SNAPSHOT && tr.cause() != Cause.EXTERNAL_RELEASED) {
                story.add(tr.cause() + ":" + tr.from().owner() + "->" + tr.to().owner());
            }
        }
        List<String> expected = new ArrayList<>();
        expected.add("ACQUIRED:null->Client 0");
        for (int i = 0; i < 5; i++) {
            expected.add("RELEASED:Client " + i + "->null");
            expected.add("ACQUIRED:null->Client " + (i + 1));
        }
        expected.add("RELEASED:Client 5->null");
        assertThat(story).containsExactlyElementsOf(expected);
        SimulatedDeviceState device = t.sim.state(SIM0);
        assertThat(device.locksTaken()).isOne();
        assertThat(device.locksDropped()).isOne();
        assertThat(device.nativeOwner()).isNull();
    }

    /**
     * The worker is stuck in a media read while three hand-offs happen in place one after another: every waiter is
     * granted in turn, nobody else can take the drive, and once the call returns the next native call names the last
     * holder; one native acquire and one release in all.
     */
    @Test
    void severalHandOffsWhileTheWorkerIsStuckNameTheLastHolder() {
        TestAgent t = start(HandOver.RENAME_IN_PLACE);
        ClientSession a = t.session("Client A");
        a.acquire(SIM0).block(BLOCK);
        t.sim.hangNext(SIM0, Operation.MEDIA, 1);
        AtomicReference<Object> stuck = new AtomicReference<>();
        t.agent.media(SIM0).subscribe(stuck::set, stuck::set);
        t.settle();
        List<ClientSession> next = List.of(t.session("Client B"), t.session("Client C"), t.session("Client D"));
        List<TestSubscriber<LockGrant>> waiters = new ArrayList<>();
        for (ClientSession s : next) {
            waiters.add(waitFor(t, s, SIM0));
        }
        ClientSession holder = a;
        for (int i = 0; i < 3; i++) {
            assertThat(holder.release(SIM0).block(BLOCK)).isZero();
            waiters.get(i).block(BLOCK);
            assertThat(waiters.get(i).getReceivedOnNext()).hasSize(1);
            holder = next.get(i);
            assertThat(agentOwner(t, SIM0)).isEqualTo(holder.clientName());
        }
        assertThat(t.sim.state(SIM0).nativeOwner()).as("not renamed while the worker is stuck").isEqualTo("Client A");
        t.sim.releaseHangs(SIM0);
        t.settle();
        assertThat(stuck.get()).isNotNull();
        assertThat(nativeOwnerAfterACall(t, SIM0)).isEqualTo("Client D");
        assertThat(t.sim.state(SIM0).handOvers()).as("renames: only the latest name").isOne();
        holder.release(SIM0).block(BLOCK);
        t.settle();
        assertThat(t.sim.state(SIM0).locksTaken()).isOne();
        assertThat(t.sim.state(SIM0).locksDropped()).isOne();
    }

    /**
     * After the stuck call passed the command timeout the recorder is unresponsive: a release then hands nothing
     * on (in place or not), the waiter waits for the recorder, and is granted once it responds; the same as
     * {@code KEEP_CLAIM}.
     */
    @ParameterizedTest
    @EnumSource(value = HandOver.class, names = {"KEEP_CLAIM", "RENAME_IN_PLACE"})
    void anUnresponsiveRecorderHandsNothingOnUntilItResponds(HandOver mode) {
        TestAgent t = start(mode);
        ClientSession a = t.session("Client A");
        ClientSession b = t.session("Client B");
        a.acquire(SIM0).block(BLOCK);
        t.sim.hangNext(SIM0, Operation.MEDIA, 1);
        t.agent.media(SIM0).subscribe(m -> { }, e -> { });
        t.settle();
        TestSubscriber<LockGrant> toB = TestSubscriber.create();
        b.acquire(SIM0, AcquireOptions.waitIndefinitely().withRetry(RetryPolicy.none())).subscribe(toB);
        t.advance(Duration.ofMinutes(5)); // past the command timeout
        a.release(SIM0).onErrorReturn(-1).block(BLOCK); // its native release waits behind the stuck call
        assertThat(toB.getReceivedOnNext()).as("granted while the recorder does not respond").isEmpty();
        t.sim.releaseHangs(SIM0);
        toB.block(BLOCK);
        assertThat(toB.getReceivedOnNext()).hasSize(1);
        assertThat(nativeOwnerAfterACall(t, SIM0)).isEqualTo("Client B");
        b.release(SIM0).block(BLOCK);
        t.settle();
        assertThat(t.sim.state(SIM0).locksTaken()).isEqualTo(t.sim.state(SIM0).locksDropped());
    }

    /**
     * A withLock body running after an in-place hand-off is revoked when the lock is lost, before the next waiter is
     * granted; the next waiter then acquires natively, and is named.
     */
    @Test
    void aLostLockAfterAnInPlaceHandOffRevokesTheBodyBeforeTheNextWaiter() {
        TestAgent t = start(HandOver.RENAME_IN_PLACE);
        ClientSession a = t.session("Client A");
        ClientSession b = t.session("Client B");
        ClientSession c = t.session("Client C");
        a.acquire(SIM0).block(BLOCK);
        AtomicReference<String> running = new AtomicReference<>();
        TestSubscriber<Object> bodyB = TestSubscriber.create();
        b.withLock(SIM0, WAIT, g -> Mono.never().doOnSubscribe(s -> running.set("Client B"))
                .doOnCancel(() -> running.set(null))).subscribe(bodyB);
        t.settle();
        TestSubscriber<LockGrant> toC = TestSubscriber.create();
        c.acquire(SIM0, WAIT).doOnNext(g -> {
            if (running.get() != null) {
                violations.add("C granted while the body of " + running.get() + " runs");
            }
        }).subscribe(toC);
        t.settle();
        a.release(SIM0).block(BLOCK);
        t.settle();
        assertThat(running.get()).isEqualTo("Client B");
        t.sim.loseLock(SIM0);
        toC.block(BLOCK);
        assertThat(bodyB.expectTerminalError()).isInstanceOf(RecorderException.class);
        assertThat(running.get()).isNull();
        assertThat(agentOwner(t, SIM0)).isEqualTo("Client C");
        assertThat(nativeOwnerAfterACall(t, SIM0)).isEqualTo("Client C");
        c.release(SIM0).block(BLOCK);
        t.settle();
    }

    /** The recorder is removed and comes back between an in-place hand-off and the next native call. */
    @Test
    void aRecorderRemovedAndBackBetweenAHandOffAndTheNextCallStartsClean() {
        TestAgent t = start(HandOver.RENAME_IN_PLACE);
        ClientSession a = t.session("Client A");
        ClientSession b = t.session("Client B");
        ClientSession c = t.session("Client C");
        a.acquire(SIM0).block(BLOCK);
        TestSubscriber<LockGrant> toB = waitFor(t, b, SIM0);
        a.release(SIM0).block(BLOCK);
        toB.block(BLOCK);
        t.sim.removeRecorder(SIM0);
        t.settle();
        assertThat(b.lockCount(SIM0).onErrorReturn(0).block(BLOCK)).isZero();
        t.sim.addRecorder(SIM0.value());
        for (int i = 0; i < 1000 && !t.agent.recorders().block(BLOCK).stream().anyMatch(r -> r.id().equals(SIM0));
                i++) {
            t.settle();
        }
        assertThat(c.acquire(SIM0, WAIT).block(BLOCK).lockCount()).isOne();
        assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("Client C");
        assertThat(nativeOwnerAfterACall(t, SIM0)).isEqualTo("Client C");
        c.release(SIM0).block(BLOCK);
        t.settle();
        Simulator.LockCounts counts = t.sim.lockCounts();
        assertThat(counts.taken()).isEqualTo(counts.dropped());
    }

    /** The holder's session closes with a waiter queued: handed in place; the waiter's own close frees the drive. */
    @ParameterizedTest
    @EnumSource(value = HandOver.class, names = {"KEEP_CLAIM", "RENAME_IN_PLACE"})
    void sessionClosesHandOffInPlaceAndBalance(HandOver mode) {
        TestAgent t = start(mode);
        ClientSession a = t.session("Client A");
        ClientSession b = t.session("Client B");
        ClientSession c = t.session("Client C");
        a.acquire(SIM0).block(BLOCK);
        a.acquire(SIM0).block(BLOCK);
        TestSubscriber<LockGrant> toB = waitFor(t, b, SIM0);
        TestSubscriber<LockGrant> toC = waitFor(t, c, SIM0);
        assertThat(a.release(SIM0).block(BLOCK)).isOne();
        t.settle();
        assertThat(toB.getReceivedOnNext()).as("granted while A still counts 1").isEmpty();
        a.close().block(BLOCK);
        toB.block(BLOCK);
        assertThat(agentOwner(t, SIM0)).isEqualTo("Client B");
        b.close().block(BLOCK);
        toC.block(BLOCK);
        assertThat(agentOwner(t, SIM0)).isEqualTo("Client C");
        assertThat(nativeOwnerAfterACall(t, SIM0)).isEqualTo("Client C");
        c.close().block(BLOCK);
        t.settle();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
        assertThat(t.sim.state(SIM0).locksTaken()).isOne();
        assertThat(t.sim.state(SIM0).locksDropped()).isOne();
        assertThat(t.agent.statistics().handOvers()).isEqualTo(2);
    }

    /** The agent closes right after an in-place hand-off: the claim is dropped, nothing leaks. */
    @Test
    void theAgentClosesRightAfterAnInPlaceHandOff() {
        TestAgent t = TestAgent.start(HandOver.RENAME_IN_PLACE);
        try {
            ClientSession a = t.session("Client A");
            ClientSession b = t.session("Client B");
            a.acquire(SIM0).block(BLOCK);
            TestSubscriber<LockGrant> toB = waitFor(t, b, SIM0);
            a.release(SIM0).subscribe(n -> { }, e -> { });
            toB.block(BLOCK);
        } finally {
            t.close();
        }
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
        assertThat(t.sim.state(SIM0).locksTaken()).isOne();
        assertThat(t.sim.state(SIM0).locksDropped()).isOne();
    }

    /**
     * A pool request waiting on two held recorders is handed one in place: it holds that one, is named after the next
     * native call, and its place at the other is withdrawn (that one is released natively when its holder lets go).
     */
    @Test
    void aPoolRequestHandedARecorderInPlaceHoldsItAndLeavesTheOther() {
        TestAgent t = start(HandOver.RENAME_IN_PLACE);
        ClientSession a = t.session("Client A");
        ClientSession x = t.session("Client X");
        ClientSession p = t.session("Pool P");
        a.acquire(SIM0).block(BLOCK);
        x.acquire(SIM1).block(BLOCK);
        TestSubscriber<LockGrant> toP = TestSubscriber.create();
        p.acquireAny(RecorderSelector.anyOf(SIM0, SIM1), WAIT).subscribe(toP);
        t.settle();
        a.release(SIM0).block(BLOCK);
        toP.block(BLOCK);
        assertThat(toP.getReceivedOnNext()).singleElement().satisfies(g -> assertThat(g.recorder()).isEqualTo(SIM0));
        assertThat(nativeOwnerAfterACall(t, SIM0)).isEqualTo("Pool P");
        assertThat(x.release(SIM1).block(BLOCK)).isZero();
        t.settle();
        assertThat(t.sim.state(SIM1).nativeOwner()).as("nobody waits at SIM1 any more").isNull();
        assertThat(p.lockCount(SIM1).block(BLOCK)).isZero();
        p.release(SIM0).block(BLOCK);
        t.settle();
        Simulator.LockCounts counts = t.sim.lockCounts();
        assertThat(counts.taken()).isEqualTo(counts.dropped());
    }

    /**
     * A pool request is handed SIM0 in place while its native acquire of SIM1 is stuck: once that acquire returns it
     * is released at once (the request has ended), the pool holds SIM0 only, and every native lock is dropped.
     */
    @Test
    void aPoolHandedARecorderInPlaceWhileItsOtherAcquireIsStuckReleasesTheOther() {
        TestAgent t = start(HandOver.RENAME_IN_PLACE);
        ClientSession a = t.session("Client A");
        ClientSession p = t.session("Pool P");
        a.acquire(SIM0).block(BLOCK);
        t.sim.hangNext(SIM1, Operation.ACQUIRE, 1);
        TestSubscriber<LockGrant> toP = TestSubscriber.create();
        p.acquireAny(RecorderSelector.anyOf(SIM1, SIM0), WAIT).subscribe(toP);
        t.settle();
        assertThat(t.sim.state(SIM1).blockedCalls()).as("the acquire of SIM1 is stuck").isOne();
        a.release(SIM0).block(BLOCK);
        toP.block(BLOCK);
        assertThat(toP.getReceivedOnNext()).singleElement().satisfies(g -> assertThat(g.recorder()).isEqualTo(SIM0));
        t.sim.releaseHangs(SIM1);
        t.settle();
        assertThat(t.sim.state(SIM1).nativeOwner()).as("the late acquire of SIM1 is released").isNull();
        assertThat(p.lockCount(SIM1).block(BLOCK)).isZero();
        assertThat(nativeOwnerAfterACall(t, SIM0)).isEqualTo("Pool P");
        p.release(SIM0).block(BLOCK);
        t.settle();
        Simulator.LockCounts counts = t.sim.lockCounts();
        assertThat(counts.taken()).isEqualTo(counts.dropped());
    }

    /** The agent closes with a rename pending and the worker stuck in a call: the claim is still dropped. */
    @Test
    void theAgentClosesWithARenamePendingBehindAStuckCall() {
        TestAgent t = TestAgent.start(HandOver.RENAME_IN_PLACE);
        try {
            ClientSession a = t.session("Client A");
            ClientSession b = t.session("Client B");
            a.acquire(SIM0).block(BLOCK);
            t.sim.hangNext(SIM0, Operation.MEDIA, 1);
            t.agent.media(SIM0).subscribe(m -> { }, e -> { });
            t.settle();
            TestSubscriber<LockGrant> toB = waitFor(t, b, SIM0);
            a.release(SIM0).block(BLOCK);
            toB.block(BLOCK);
            assertThat(toB.getReceivedOnNext()).hasSize(1);
        } finally {
            t.close();
        }
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
        assertThat(t.sim.state(SIM0).locksTaken()).isOne();
        assertThat(t.sim.state(SIM0).locksDropped()).isOne();
    }

    /** Faults planned for the native acquire do not hit the rename, and still hit the next real acquire. */
    @Test
    void anAcquireFaultDoesNotHitTheRenameButTheNextAcquire() {
        TestAgent t = start(HandOver.RENAME_IN_PLACE);
        ClientSession a = t.session("Client A");
        ClientSession b = t.session("Client B");
        a.acquire(SIM0).block(BLOCK);
        TestSubscriber<LockGrant> toB = waitFor(t, b, SIM0);
        t.sim.failNext(SIM0, Operation.ACQUIRE, io.discagent.api.error.HResult.E_FAIL, 1);
        a.release(SIM0).block(BLOCK);
        toB.block(BLOCK);
        assertThat(nativeOwnerAfterACall(t, SIM0)).isEqualTo("Client B");
        assertThat(b.lockCount(SIM0).block(BLOCK)).isOne();
        b.release(SIM0).block(BLOCK);
        t.settle();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.acquire(SIM0, WAIT).block(BLOCK))
                .isInstanceOf(RecorderException.class);
        t.settle();
    }

    /**
     * A burn whose lock is handed over in place: every native call of the burn runs with the new holder's name, the
     * burn completes, and the recorder is released natively once at the end.
     */
    @Test
    void aBurnGrantedInPlaceRunsUnderItsHoldersName(@TempDir Path dir) throws IOException {
        TestAgent t = start(HandOver.RENAME_IN_PLACE);
        byte[] data = new byte[256 << 10];
        new java.util.Random(7).nextBytes(data);
        Path image = Files.write(dir.resolve("disc.iso"), data);
        ClientSession a = t.session("Client A");
        ClientSession b = t.session("Client B");
        a.acquire(SIM0).block(BLOCK);
        List<String> ownersSeen = new CopyOnWriteArrayList<>();
        TestSubscriber<BurnProgress> probe = TestSubscriber.create();
        b.burn(SIM0, WAIT, BurnRequest.builder(image).build())
                .doOnNext(p -> ownersSeen.add(p.phase() + ":" + t.sim.state(SIM0).nativeOwner())).subscribe(probe);
        t.settle();
        a.release(SIM0).block(BLOCK);
        for (int i = 0; i < 240 && !probe.isTerminatedOrCancelled(); i++) {
            t.advance(Duration.ofMillis(250));
        }
        assertThat(probe.isTerminatedComplete()).as("completed: %s", probe.getTerminalSignal()).isTrue();
        assertThat(ownersSeen).filteredOn(o -> !o.startsWith("PREPARING") && !o.startsWith("COMPLETED"))
                .isNotEmpty().allSatisfy(o -> assertThat(o).endsWith(":Client B"));
        t.settle();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
        assertThat(t.sim.state(SIM0).locksTaken()).isOne();
        assertThat(t.sim.state(SIM0).locksDropped()).isOne();
    }

    /**
     * withLock bodies of four sessions, each making a native call under its lock, with grants handed on in place:
     * no two bodies of different sessions run at once, and each body's native call sees its own session as the native
     * owner.
     */
    @Test
    void withLockBodiesSeeThemselvesAsTheNativeOwner() throws InterruptedException {
        TestAgent t = start(HandOver.RENAME_IN_PLACE);
        List<ClientSession> sessions = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            sessions.add(t.session("Client " + i));
        }
        AtomicReference<String> running = new AtomicReference<>();
        int rounds = 40;
        CountDownLatch done = new CountDownLatch(sessions.size());
        for (ClientSession s : sessions) {
            Flux.range(0, rounds).concatMap(i -> s.withLock(SIM0, AcquireOptions.waitUpTo(Duration.ofMinutes(10)),
                    g -> {
                        if (!running.compareAndSet(null, s.clientName())) {
                            violations.add(s.clientName() + " runs while " + running.get() + " runs");
                        }
                        return t.agent.media(SIM0).publishOn(Schedulers.boundedElastic()).doOnNext(m -> {
                            String owner = t.sim.state(SIM0).nativeOwner();
                            if (!s.clientName().equals(owner)) {
                                violations.add("the body of " + s.clientName() + " sees native owner " + owner);
                            }
                        }).doOnTerminate(() -> running.compareAndSet(s.clientName(), null))
                                .doOnCancel(() -> running.compareAndSet(s.clientName(), null));
                    })).subscribe(m -> { }, e -> {
                        violations.add(s.clientName() + " failed: " + e);
                        done.countDown();
                    }, done::countDown);
        }
        assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
        t.settle();
        assertThat(t.agent.statistics().handOvers()).isPositive();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
        assertThat(t.sim.state(SIM0).locksTaken()).isEqualTo(t.sim.state(SIM0).locksDropped());
    }

    /**
     * The waiter cancels from another thread while the holder's release hands it the lock in place, a few hundred
     * times: whoever holds afterwards is the native owner after the next call, and nothing leaks.
     *
     * <p>Observed: in some rounds C holds and the simulator names "Client B" (cancelled, holding nothing) after a
     * media read: the real-thread form of {@link #aCancellationInsideTheInPlaceHandOffLeavesTheNextHolderNamed}
     * (round 96 of 300 in the first run; see the report for frequency).
     */
    @Test
    void cancellationRacingTheHandOffFromAnotherThread() throws Exception {
        TestAgent t = start(HandOver.RENAME_IN_PLACE);
        ClientSession a = t.session("Client A");
        ClientSession b = t.session("Client B");
        ClientSession c = t.session("Client C");
        List<String> mismatches = new ArrayList<>();
        for (int round = 0; round < 300; round++) {
            a.acquire(SIM0).block(BLOCK);
            Disposable waitingB = b.acquire(SIM0, WAIT).subscribe();
            t.settle();
            TestSubscriber<LockGrant> toC = waitFor(t, c, SIM0);
            CountDownLatch go = new CountDownLatch(1);
            Thread canceller = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                waitingB.dispose();
            });
            canceller.start();
            Mono<Integer> release = a.release(SIM0);
            go.countDown();
            release.block(BLOCK);
            canceller.join();
            t.settle();
            if (b.lockCount(SIM0).block(BLOCK) > 0) {
                b.release(SIM0).block(BLOCK); // B won its grant before the cancel
                t.settle();
            }
            toC.block(BLOCK);
            t.settle();
            String owner = nativeOwnerAfterACall(t, SIM0);
            if (!"Client C".equals(owner)) {
                mismatches.add("round " + round + ": C holds, native owner " + owner);
            }
            c.release(SIM0).block(BLOCK);
            t.settle();
            assertThat(t.sim.state(SIM0).nativeOwner()).as("round %s", round).isNull();
        }
        assertThat(mismatches).isEmpty();
        assertThat(t.sim.state(SIM0).locksTaken()).isEqualTo(t.sim.state(SIM0).locksDropped());
    }
}
