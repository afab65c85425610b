package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.error.AcquireTimeoutException;
import io.discagent.api.error.PendingAcquireLimitException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.test.subscriber.TestSubscriber;

/**
 * Finished waiters leave the queue at once, so {@code pendingAcquireMaxCount} bounds what waiters keep: a kiosk
 * polling with short waits during an hour-long burn costs nothing once each wait has ended.
 */
class QueueMemoryTests {

    private final TestAgent t = TestAgent.start(1, b -> b.pendingAcquireMaxCount(50));

    @AfterEach
    void close() {
        t.close();
    }

    @Test
    void cancelledAndTimedOutWaitersLeaveTheQueueAtOnceWhileTheHolderHolds() {
        ClientSession burner = t.session("Burner");
        burner.acquire(SIM0).block();
        ClientSession kiosk = t.session("Kiosk");
        for (int round = 0; round < 200; round++) {
            List<Disposable> cancelled = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                cancelled.add(kiosk.acquire(SIM0, AcquireOptions.waitIndefinitely()).subscribe(g -> { }, e -> { }));
            }
            List<TestSubscriber<LockGrant>> timing = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                TestSubscriber<LockGrant> probe = TestSubscriber.create();
                kiosk.acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofSeconds(2))).subscribe(probe);
                timing.add(probe);
            }
            assertThat(t.settle().waiting()).as("round %d: at the limit", round).isEqualTo(50);
            cancelled.forEach(Disposable::dispose);
            assertThat(t.settle().waiting()).as("round %d: cancelled ones gone", round).isEqualTo(25);
            t.advance(Duration.ofSeconds(2));
            assertThat(t.settle().waiting()).as("round %d: timed-out ones gone", round).isZero();
            for (TestSubscriber<LockGrant> probe : timing) {
                assertThat(probe.expectTerminalError()).isInstanceOf(AcquireTimeoutException.class);
            }
        }
        // the limit still counts only the waiters that are really there
        TestSubscriber<LockGrant> over = TestSubscriber.create();
        for (int i = 0; i < 50; i++) {
            kiosk.acquire(SIM0, AcquireOptions.waitIndefinitely()).subscribe(g -> { }, e -> { });
        }
        kiosk.acquire(SIM0, AcquireOptions.waitIndefinitely()).subscribe(over);
        t.settle();
        assertThat(over.expectTerminalError()).isInstanceOf(PendingAcquireLimitException.class);
        assertThat(t.agent.statistics().waiting()).isEqualTo(50);
    }
}
