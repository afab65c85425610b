package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static io.discagent.agent.adversary.Harness.SIM0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.RecorderRemovedEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Removal: the holder's count resets (DEVICE_REMOVED, then RecorderRemovedEvent naming the last owner and the failed
 * waiters), pending acquires fail with 0x80070037, other recorders are untouched, and a recorder that arrives again
 * starts from a clean state: nothing of an old hold may touch a new one.
 */
class RemovalFlappingAdversaryTests {

    @Test
    void removalResetsTheHolderFailsTheWaitersAndNamesThem() {
        try (Harness h = Harness.virtualTime()) {
            ClientSession a = h.session("Alpha");
            ClientSession b = h.session("Beta");
            ClientSession c = h.session("Gamma");
            Probe<Object> events = Probe.unbounded();
            h.agent.events().subscribe(events);
            a.acquire(SIM0).block(BLOCK);
            a.acquire(SIM0).block(BLOCK);
            c.acquire(Harness.SIM1).block(BLOCK);
            Probe<LockGrant> w1 = Probe.unbounded();
            Probe<LockGrant> w2 = Probe.unbounded();
            b.acquire(SIM0, AcquireOptions.waitIndefinitely()).subscribe(w1);
            c.acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofMinutes(1))).subscribe(w2);
            h.settle();
            h.sim.removeRecorder(SIM0);
            assertThat(w1.awaitTerminal(BLOCK)).isTrue();
            assertThat(w2.awaitTerminal(BLOCK)).isTrue();
            for (Probe<LockGrant> w : List.of(w1, w2)) {
                assertThat(w.error.get()).isInstanceOf(RecorderRemovedException.class);
                assertThat(((RecorderException) w.error.get()).hresult().code()).isEqualTo(0x80070037);
            }
            h.settle();
            List<Object> seen = List.copyOf(events.values);
            int transition = -1;
            int removal = -1;
            for (int i = 0; i < seen.size(); i++) {
                if (seen.get(i) instanceof LockTransition t && t.cause() == LockTransition.Cause.DEVICE_REMOVED) {
                    transition = i;
                }
                if (seen.get(i) instanceof RecorderRemovedEvent r) {
                    removal = i;
                    assertThat(r.lastOwner()).isEqualTo("Alpha");
                    assertThat(r.failedWaiters()).isEqualTo(2);
                }
            }
            assertThat(transition).as("a DEVICE_REMOVED transition (%s)", seen).isGreaterThanOrEqualTo(0);
            assertThat(removal).as("the removal event comes after it").isGreaterThan(transition);
            assertThat(h.count(a, SIM0)).as("the holder's count after removal").isZero();
            assertThat(h.count(c, Harness.SIM1)).as("another recorder is untouched").isEqualTo(1);
            c.release(Harness.SIM1).block(BLOCK);
            h.sim.addRecorder(SIM0.value());
            h.settle();
            h.closeSessionsAndAssertBalanced();
        }
    }

    @Test
    void nothingOfAnOldHoldTouchesTheHoldOnTheRecorderThatCameBack() {
        try (Harness h = Harness.virtualTime()) {
            ClientSession a = h.session("Alpha");
            ClientSession b = h.session("Beta");
            LockGrant old = a.acquire(SIM0).block(BLOCK);
            h.sim.removeRecorder(SIM0);
            h.settle();
            h.sim.addRecorder(SIM0.value());
            h.settle();
            assertThat(h.count(a, SIM0)).as("a recorder that came back starts clean").isZero();
            LockGrant fresh = b.acquire(SIM0).block(BLOCK);
            assertThat(fresh.holdId()).isNotEqualTo(old.holdId());
            assertThatThrownBy(() -> a.release(SIM0).block(BLOCK)).isInstanceOf(LockNotHeldException.class)
                    .extracting(e -> ((RecorderException) e).hresult().code()).isEqualTo(0x80070001);
            try {
                a.release(old).block(BLOCK);
            } catch (RecorderException refused) {
                // fine
            }
            assertThat(h.count(b, SIM0)).as("Beta's fresh hold after Alpha released its old grant").isEqualTo(1);
            assertThatThrownBy(() -> a.acquire(SIM0).block(BLOCK)).isInstanceOf(RecorderLockedException.class);
            b.release(fresh).block(BLOCK);
            h.closeSessionsAndAssertBalanced();
        }
    }

    /** Flapping while threads acquire, release and run bodies: exclusion holds, nothing leaks. */
    @Test
    void flappingUnderLoad() throws Exception {
        try (Harness h = Harness.virtualTime()) {
            h.sim.setOpenLatency(Duration.ofNanos(200_000));
            ExclusionTracker tracker = new ExclusionTracker(h);
            TransitionChecker checker = new TransitionChecker(h);
            var watching = h.agent.lockTransitions().subscribe(checker);
            AtomicBoolean running = new AtomicBoolean(true);
            Thread flapper = new Thread(() -> {
                Random random = new Random();
                while (running.get()) {
                    h.sim.removeRecorder(SIM0);
                    LockSupport.parkNanos(random.nextInt(500_000));
                    h.sim.addRecorder(SIM0.value());
                    LockSupport.parkNanos(random.nextInt(3_000_000));
                }
            });
            flapper.start();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                ClientSession s = h.session("Worker " + t);
                String name = s.clientName();
                Thread w = new Thread(() -> {
                    for (int i = 0; i < 300; i++) {
                        try {
                            if (i % 2 == 0) {
                                s.withLock(SIM0, AcquireOptions.waitUpTo(Duration.ofMinutes(1)),
                                        tracker.body(name, g -> reactor.core.publisher.Mono.delay(
                                                Duration.ofNanos(100_000)))).timeout(Duration.ofMillis(20))
                                        .blockLast(BLOCK);
                            } else {
                                LockGrant g = s.acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofMinutes(1)))
                                        .doOnNext(x -> tracker.grantDelivered(name, x))
                                        .timeout(Duration.ofMillis(20)).block(BLOCK);
                                s.release(g).block(BLOCK);
                            }
                        } catch (RuntimeException expected) {
                            // removed, timed out, no such recorder
                        }
                    }
                });
                workers.add(w);
                w.start();
            }
            for (Thread w : workers) {
                w.join(40_000);
            }
            running.set(false);
            flapper.join();
            if (!h.sim.recorders().contains(SIM0)) {
                h.sim.addRecorder(SIM0.value());
            }
            h.settle();
            watching.dispose();
            h.assertNoViolations();
            h.assertQuiescentAndBalanced();
            h.closeSessionsAndAssertBalanced();
        }
    }

    @Test
    void aRecorderRemovedWhileItOpensEndsAsTheBackendLastReportedIt() throws Exception {
        try (Harness h = Harness.virtualTime()) {
            h.sim.setOpenLatency(Duration.ofMillis(5));
            for (int i = 0; i < 30; i++) {
                h.sim.removeRecorder(SIM0);
                h.sim.addRecorder(SIM0.value());
                if (i % 2 == 0) {
                    h.sim.removeRecorder(SIM0);
                }
                h.settle();
                boolean present = h.sim.recorders().contains(SIM0);
                boolean known = h.agent.recorders().block(BLOCK).stream().anyMatch(r -> r.id().equals(SIM0));
                assertThat(known).as("round %d: the agent knows sim-0 iff the backend last reported it", i)
                        .isEqualTo(present);
                if (!present) {
                    h.sim.addRecorder(SIM0.value());
                    h.settle();
                }
            }
            h.assertQuiescentAndBalanced();
        }
    }
}
