package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static io.discagent.agent.adversary.Harness.SIM0;
import static io.discagent.agent.adversary.Harness.SIM1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.api.AcquireOptions;
import io.discagent.api.AcquireRequest;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.SessionClosedException;
import io.discagent.api.error.VolumeMountedException;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * IMAPI2 counts: one native acquire on 0→1, one native release on 1→0, N acquires need N releases, a release at zero
 * fails (0x80070001, naming the holder when another session holds) without a native call; {@code release(grant)} takes
 * exactly the count of one grant, once; closed sessions fail every call with 0x80010108.
 */
class CountSemanticsAdversaryTests extends TwoSessions {

    private long nativeCalls(String operation) {
        return h.sim.calls().stream().filter(c -> c.recorder().equals(SIM0)
                && c.operation().toLowerCase().contains(operation)).count();
    }

    @Test
    void nAcquiresNeedNReleasesWithOneNativeCallEachWay() {
        long acquiresBefore = h.sim.state(SIM0).locksTaken();
        for (int i = 1; i <= 5; i++) {
            assertThat(a.acquire(SIM0).block(BLOCK).lockCount()).isEqualTo(i);
        }
        for (int i = 4; i >= 1; i--) {
            assertThat(a.release(SIM0).block(BLOCK)).isEqualTo(i);
            assertThatThrownBy(() -> b.acquire(SIM0).block(BLOCK)).isInstanceOf(RecorderLockedException.class);
        }
        assertThat(a.release(SIM0).block(BLOCK)).isZero();
        h.settle();
        assertThat(h.sim.state(SIM0).locksTaken() - acquiresBefore).as("native acquires").isEqualTo(1);
        assertThat(b.acquire(SIM0).block(BLOCK).lockCount()).isEqualTo(1);
        b.release(SIM0).block(BLOCK);
        h.assertQuiescentAndBalanced();
    }

    @Test
    void aReleaseAtZeroFailsWithTheDocumentedCodesAndCallsNothingNative() {
        int callsBefore = h.sim.calls().size();
        assertThatThrownBy(() -> a.release(SIM0).block(BLOCK)).isInstanceOf(LockNotHeldException.class)
                .extracting(e -> ((RecorderException) e).hresult().code()).isEqualTo(0x80070001);
        b.acquire(SIM0).block(BLOCK);
        h.settle();
        int callsAfterAcquire = h.sim.calls().size();
        assertThatThrownBy(() -> a.release(SIM0).block(BLOCK)).isInstanceOf(LockNotHeldException.class)
                .extracting(e -> ((RecorderException) e).hresult().code()).isEqualTo(0x80070001);
        h.settle();
        assertThat(h.sim.calls().size()).as("native calls made by failing releases").isEqualTo(callsAfterAcquire);
        assertThat(h.count(a, SIM0)).isZero();
        assertThat(h.count(b, SIM0)).isEqualTo(1);
        b.release(SIM0).block(BLOCK);

        h.sim.lockExternally(SIM1, "wodim (pid 7)");
        assertThatThrownBy(() -> a.release(SIM1).block(BLOCK)).as("release at zero while an outside process holds")
                .isInstanceOf(LockNotHeldException.class)
                .extracting(e -> ((RecorderException) e).hresult().code()).isEqualTo(0x80070001);
        h.sim.unlockExternally(SIM1);
        assertThat(callsBefore).isLessThanOrEqualTo(h.sim.calls().size());
        h.assertQuiescentAndBalanced();
    }

    @Test
    void releasingTheSameGrantTwiceTakesOneCount() {
        LockGrant g1 = a.acquire(SIM0).block(BLOCK);
        LockGrant g2 = a.acquire(SIM0).block(BLOCK);
        assertThat(a.release(g2).block(BLOCK)).isEqualTo(1);
        assertThat(a.release(g2).block(BLOCK)).as("the same grant again").isEqualTo(1);
        assertThat(a.release(g1).block(BLOCK)).isZero();
        assertThat(a.release(g1).block(BLOCK)).isZero();
        h.assertQuiescentAndBalanced();
    }

    /**
     * Three acquires, each grant released once by release(grant): the count must be back at zero. The third grant
     * has the same recorder, session, count and hold as the second (LockGrant is a record), so an agent that
     * remembers "this grant was released" by value refuses the third release and leaks the lock.
     */
    @Test
    void everyGrantReleasedOnceFreesTheRecorderEvenWhenTwoGrantsAreEqual() {
        LockGrant g1 = a.acquire(SIM0).block(BLOCK);
        LockGrant g2 = a.acquire(SIM0).block(BLOCK);
        assertThat(a.release(g2).block(BLOCK)).isEqualTo(1);
        LockGrant g3 = a.acquire(SIM0).block(BLOCK);
        assertThat(g3.lockCount()).isEqualTo(2);
        assertThat(a.release(g3).block(BLOCK)).as("releasing the third grant (equal to the second: %s)",
                g3.equals(g2)).isEqualTo(1);
        assertThat(a.release(g1).block(BLOCK)).isZero();
        h.assertQuiescentAndBalanced();
    }

    /** withLock "releases exactly that grant": two withLock calls over a raw hold must leave the raw count alone. */
    @Test
    void repeatedWithLockOverARawHoldReleasesItsOwnCountEachTime() {
        LockGrant raw = a.acquire(SIM0).block(BLOCK);
        for (int i = 0; i < 3; i++) {
            List<Integer> counts = a.withLock(SIM0, AcquireOptions.DEFAULT, g -> Mono.just(g.lockCount()))
                    .collectList().block(BLOCK);
            assertThat(counts).containsExactly(2);
            assertThat(h.count(a, SIM0)).as("count after withLock #%d over a raw hold", i + 1).isEqualTo(1);
        }
        assertThat(a.release(raw).block(BLOCK)).isZero();
        h.assertQuiescentAndBalanced();
    }

    @Test
    void aGrantOfAnEarlierHoldTakesNothingFromALaterHold() {
        LockGrant old = a.acquire(SIM0).block(BLOCK);
        assertThat(a.release(SIM0).block(BLOCK)).isZero();
        LockGrant now = a.acquire(SIM0).block(BLOCK);
        assertThat(now.holdId()).isNotEqualTo(old.holdId());
        assertThat(a.release(old).block(BLOCK)).as("releasing a grant of a hold that ended").isEqualTo(1);
        assertThat(a.release(now).block(BLOCK)).isZero();
        h.assertQuiescentAndBalanced();
    }

    @Test
    void releaseByIdAndByGrantMixedNeverGoBelowZeroNorReleaseTwiceNatively() {
        LockGrant g1 = a.acquire(SIM0).block(BLOCK);
        LockGrant g2 = a.acquire(SIM0).block(BLOCK);
        assertThat(a.release(SIM0).block(BLOCK)).isEqualTo(1);
        assertThat(a.release(g1).block(BLOCK)).isZero();
        assertThat(a.release(g2).block(BLOCK)).as("a grant whose hold has ended takes nothing").isZero();
        assertThatThrownBy(() -> a.release(SIM0).block(BLOCK)).isInstanceOf(LockNotHeldException.class);
        h.assertQuiescentAndBalanced();
    }

    /** A session must not take counts away from another session by passing it the other's grant. */
    @Test
    void aSessionCannotReleaseAnotherSessionsGrant() {
        LockGrant ofA = a.acquire(SIM0).block(BLOCK);
        try {
            Integer answer = b.release(ofA).block(BLOCK);
            assertThat(answer).as("what b.release(grant of a) answered").isZero();
        } catch (RecorderException expected) {
            // refusing is fine too
        }
        assertThat(h.count(a, SIM0)).as("a's count after b released a's grant").isEqualTo(1);
        assertThatThrownBy(() -> b.acquire(SIM0).block(BLOCK)).isInstanceOf(RecorderLockedException.class);
        a.release(ofA).block(BLOCK);
        h.assertQuiescentAndBalanced();
    }

    @Test
    void forgedGrantsNeverDriveACountBelowZeroNorTakeMoreThanOne() {
        LockGrant real = a.acquire(SIM0).block(BLOCK);
        a.acquire(SIM0).block(BLOCK);
        List<LockGrant> forged = List.of(new LockGrant(SIM0, a.id(), 99, real.holdId()),
                new LockGrant(SIM0, a.id(), -1, real.holdId()), new LockGrant(SIM0, a.id(), 0, real.holdId()),
                new LockGrant(SIM0, a.id(), 1, real.holdId() + 12345), new LockGrant(SIM0, a.id(), 1, -1),
                new LockGrant(io.discagent.api.RecorderId.of("nope"), a.id(), 1, real.holdId()));
        int before = 2;
        for (LockGrant f : forged) {
            try {
                a.release(f).block(BLOCK);
            } catch (RecorderException refused) {
                // refusing a forged grant is fine
            }
            int after = h.count(a, SIM0);
            assertThat(after).as("count of SIM0 after releasing forged %s", f).isBetween(Math.max(0, before - 1), before);
            before = after;
        }
        while (h.count(a, SIM0) > 0) {
            a.release(SIM0).block(BLOCK);
        }
        h.assertQuiescentAndBalanced();
    }

    @Test
    void everyCallOnAClosedSessionFailsWithSessionClosedAndClosingAgainDoesNothing() {
        LockGrant g = a.acquire(SIM0).block(BLOCK);
        a.close().block(BLOCK);
        a.close().block(BLOCK);
        assertThat(a.isOpen()).isFalse();
        for (Supplier<Publisher<?>> call : List.<Supplier<Publisher<?>>>of(() -> a.acquire(SIM1),
                () -> a.acquire(SIM0, AcquireOptions.waitIndefinitely()), () -> a.release(SIM0), () -> a.release(g),
                () -> a.lockCount(SIM0), () -> a.withLock(SIM1, AcquireOptions.DEFAULT, x -> Mono.just(1)),
                () -> a.acquireEach(Flux.just(AcquireRequest.of(SIM1))))) {
            Probe<Object> probe = Probe.unbounded();
            @SuppressWarnings("unchecked")
            Publisher<Object> p = (Publisher<Object>) call.get();
            p.subscribe(probe);
            assertThat(probe.awaitTerminal(BLOCK)).isTrue();
            assertThat(probe.error.get()).isInstanceOf(SessionClosedException.class);
            assertThat(((RecorderException) probe.error.get()).hresult().code()).isEqualTo(0x80010108);
        }
        assertThat(b.acquire(SIM0).block(BLOCK).lockCount()).as("closing released a's lock").isEqualTo(1);
        b.release(SIM0).block(BLOCK);
        h.assertQuiescentAndBalanced();
    }

    @Test
    void forceNeverStealsButDismounts() {
        a.acquire(SIM0).block(BLOCK);
        assertThatThrownBy(() -> b.acquire(SIM0, AcquireOptions.DEFAULT.withForce(true)).block(BLOCK))
                .isInstanceOf(RecorderLockedException.class)
                .satisfies(e -> assertThat(((RecorderException) e).owner()).contains("Alpha"));
        a.release(SIM0).block(BLOCK);
        h.sim.mountVolume(SIM0, "/media/disc");
        assertThatThrownBy(() -> b.acquire(SIM0).block(BLOCK)).isInstanceOf(VolumeMountedException.class);
        assertThat(b.acquire(SIM0, AcquireOptions.DEFAULT.withForce(true)).block(BLOCK).lockCount()).isEqualTo(1);
        b.release(SIM0).block(BLOCK);
        h.assertQuiescentAndBalanced();
    }

    @Test
    void theOwnerIsTheHoldersNameTheOutsideHoldersNameOrEmpty() {
        assertThat(h.agent.exclusiveAccessOwner(SIM0).blockOptional(BLOCK).orElse("")).isEmpty();
        a.acquire(SIM0).block(BLOCK);
        assertThat(h.agent.exclusiveAccessOwner(SIM0).block(BLOCK)).isEqualTo("Alpha");
        a.release(SIM0).block(BLOCK);
        h.sim.lockExternally(SIM0, "wodim (pid 4242)");
        assertThat(h.agent.exclusiveAccessOwner(SIM0).block(BLOCK)).isEqualTo("wodim (pid 4242)");
        assertThatThrownBy(() -> a.acquire(SIM0).block(BLOCK)).isInstanceOf(RecorderLockedException.class)
                .satisfies(e -> assertThat(((RecorderException) e).owner()).contains("wodim (pid 4242)"));
        h.sim.unlockExternally(SIM0);
        h.assertQuiescentAndBalanced();
    }
}
