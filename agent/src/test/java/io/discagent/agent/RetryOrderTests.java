package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.HResult;
import io.discagent.api.error.RecorderLockedException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.subscriber.TestSubscriber;
import reactor.util.retry.Retry;

/** A retrying head keeps its place in line, and an exhausted retry fails with the last lock error and its owner. */
class RetryOrderTests {

    private final TestAgent t = TestAgent.start();

    @AfterEach
    void close() {
        t.close();
    }

    @Test
    void oneTransientLockOnTheHeadsNativeAcquireDoesNotSendItToTheBack() {
        ClientSession holder = t.session("Holder");
        holder.acquire(SIM0).block();
        List<Integer> order = new CopyOnWriteArrayList<>();
        List<ClientSession> waiters = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ClientSession w = t.session("Waiter " + i);
            waiters.add(w);
            int n = i;
            w.acquire(SIM0, AcquireOptions.waitIndefinitely()).subscribe(g -> order.add(n));
        }
        t.settle();
        t.sim.failNext(SIM0, Operation.ACQUIRE, HResult.E_IMAPI_RECORDER_LOCKED, 1);
        holder.release(SIM0).block();
        for (int i = 0; i < 8; i++) {
            t.advanceInSteps(Duration.ofSeconds(2), Duration.ofMillis(50));
            if (order.size() > i) {
                waiters.get(order.get(i)).release(SIM0).block();
            }
        }
        t.settle();
        assertThat(order).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
    }

    @Test
    void anExhaustedUserRetryFailsWithTheLastLockErrorAndItsOwner() {
        t.sim.lockExternally(SIM0, "wodim (pid 4242)");
        TestSubscriber<LockGrant> probe = TestSubscriber.create();
        t.session("Burner").acquire(SIM0, AcquireOptions.DEFAULT.withRetry(RetryPolicy.of(Retry.max(2))))
                .subscribe(probe);
        t.settle();
        probe.block(java.time.Duration.ofSeconds(10)); // the retries hop through Reactor's Retry companion: wait for the end itself
        assertThat(probe.expectTerminalError()).isInstanceOfSatisfying(RecorderLockedException.class,
                e -> assertThat(e.owner()).contains("wodim (pid 4242)"));
        assertThat(t.sim.calls()).filteredOn(c -> c.operation().equals("acquire")).hasSize(3);
    }

    @Test
    void aWaitThatTimesOutAgainstAnOutsideHolderNamesIt() {
        t.sim.lockExternally(SIM0, "growisofs (pid 77)");
        TestSubscriber<LockGrant> probe = TestSubscriber.create();
        t.session("Burner").acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofSeconds(3))).subscribe(probe);
        t.advanceInSteps(Duration.ofSeconds(3), Duration.ofMillis(50));
        assertThat(probe.expectTerminalError()).satisfies(e -> assertThat(
                ((io.discagent.api.error.RecorderException) e).owner()).contains("growisofs (pid 77)"));
    }
}
