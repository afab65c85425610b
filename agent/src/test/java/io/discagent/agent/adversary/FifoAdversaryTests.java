package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static io.discagent.agent.adversary.Harness.SIM0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.error.HResult;
import io.discagent.api.error.NativeRecorderException;
import io.discagent.api.error.PendingAcquireLimitException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderLockedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * "A waiting request queues behind holders inside the agent in FIFO order and is granted the moment the holder's
 * count reaches zero"; the head that meets an outside holder keeps its place; a waiter that is cancelled or times
 * out leaves the queue at once, so the limit bounds what waiters keep.
 */
class FifoAdversaryTests {

    private Harness h;
    private ClientSession holder;

    @BeforeEach
    void start() {
        h = Harness.virtualTime(2, b -> b.pendingAcquireMaxCount(5));
        holder = h.session("Holder");
        holder.acquire(SIM0).block(BLOCK);
    }

    @AfterEach
    void stop() {
        h.close();
    }

    /** Queues waiters one by one (each is in line before the next subscribes); each releases when granted. */
    private List<Disposable> queue(int n, AcquireOptions options, List<String> order, String prefix) {
        List<Disposable> waiters = new ArrayList<>();
        int already = h.settle().waiting();
        for (int i = 0; i < n; i++) {
            ClientSession s = h.session(prefix + i);
            String name = prefix + i;
            waiters.add(s.acquire(SIM0, options).flatMap(g -> {
                order.add(name);
                return s.release(g);
            }).subscribe(v -> { }, e -> order.add(name + " failed: " + e.getClass().getSimpleName())));
            int expected = already + i + 1;
            for (int spin = 0; spin < 10_000 && h.settle().waiting() < expected; spin++) {
                Thread.onSpinWait();
            }
            assertThat(h.settle().waiting()).isEqualTo(expected);
        }
        return waiters;
    }

    @Test
    void waitersAreGrantedInArrivalOrder() {
        List<String> order = new CopyOnWriteArrayList<>();
        queue(5, AcquireOptions.waitIndefinitely(), order, "W");
        holder.release(SIM0).block(BLOCK);
        h.settle();
        assertThat(order).containsExactly("W0", "W1", "W2", "W3", "W4");
        h.closeSessionsAndAssertBalanced();
    }

    @Test
    void theReleasingHolderCannotOvertakeTheQueue() {
        List<String> order = new CopyOnWriteArrayList<>();
        queue(1, AcquireOptions.waitIndefinitely(), order, "W");
        assertThatThrownBy(() -> holder.release(SIM0).then(holder.acquire(SIM0)).block(BLOCK))
                .as("a fail-fast acquire chained right after the holder's release")
                .isInstanceOf(RecorderLockedException.class);
        h.settle();
        assertThat(order).containsExactly("W0");
        h.closeSessionsAndAssertBalanced();
    }

    @Test
    void theReleasingHolderWaitingAgainQueuesBehind() {
        List<String> order = new CopyOnWriteArrayList<>();
        queue(2, AcquireOptions.waitIndefinitely(), order, "W");
        Mono<LockGrant> again = holder.release(SIM0).then(holder.acquire(SIM0, AcquireOptions.waitIndefinitely()))
                .doOnNext(g -> order.add("Holder"));
        LockGrant g = again.block(BLOCK);
        h.settle();
        assertThat(order).containsExactly("W0", "W1", "Holder");
        holder.release(g).block(BLOCK);
        h.closeSessionsAndAssertBalanced();
    }

    @Test
    void aFailingHeadDoesNotStallTheLine() {
        List<String> order = new CopyOnWriteArrayList<>();
        queue(3, AcquireOptions.waitIndefinitely(), order, "W");
        h.sim.failNext(SIM0, Operation.ACQUIRE, HResult.E_FAIL, 1);
        holder.release(SIM0).block(BLOCK);
        h.settle();
        assertThat(order).containsExactly("W0 failed: " + NativeRecorderException.class.getSimpleName(), "W1", "W2");
        h.closeSessionsAndAssertBalanced();
    }

    @Test
    void aHeadThatMeetsALockedRecorderKeepsItsPlace() {
        List<String> order = new CopyOnWriteArrayList<>();
        queue(3, AcquireOptions.waitUpTo(Duration.ofMinutes(5)), order, "W");
        h.sim.failNext(SIM0, Operation.ACQUIRE, HResult.E_IMAPI_RECORDER_LOCKED, 2);
        holder.release(SIM0).block(BLOCK);
        h.test.advanceInSteps(Duration.ofSeconds(10), Duration.ofMillis(50));
        assertThat(order).containsExactly("W0", "W1", "W2");
        h.closeSessionsAndAssertBalanced();
    }

    @Test
    void cancellingMiddleWaitersFromManyThreadsKeepsTheOrderOfTheRest() throws Exception {
        for (int round = 0; round < 50; round++) {
            List<String> order = new CopyOnWriteArrayList<>();
            List<Disposable> waiters = queue(5, AcquireOptions.waitIndefinitely(), order, "R" + round + "W");
            List<Thread> cancellers = new ArrayList<>();
            for (int i : new int[] {1, 3}) {
                cancellers.add(new Thread(waiters.get(i)::dispose));
            }
            Thread releaser = new Thread(() -> holder.release(SIM0).block(BLOCK));
            cancellers.forEach(Thread::start);
            releaser.start();
            for (Thread t : cancellers) {
                t.join();
            }
            releaser.join();
            h.settle();
            String p = "R" + round + "W";
            List<String> expectedWithout = List.of(p + 0, p + 2, p + 4);
            List<String> granted = order.stream().filter(s -> !s.contains("failed")).toList();
            assertThat(granted).as("round %d", round).containsSubsequence(expectedWithout);
            assertThat(granted.stream().filter(s -> !s.equals(p + 1) && !s.equals(p + 3)).toList())
                    .containsExactlyElementsOf(expectedWithout);
            h.assertQuiescentAndBalanced();
            holder.acquire(SIM0).block(BLOCK);
        }
        holder.release(SIM0).block(BLOCK);
        h.closeSessionsAndAssertBalanced();
    }

    @Test
    void theLimitIsEnforcedAndACancelledWaiterFreesItsPlaceAtOnce() {
        List<String> order = new CopyOnWriteArrayList<>();
        List<Disposable> waiters = queue(5, AcquireOptions.waitIndefinitely(), order, "W");
        ClientSession extra = h.session("Extra");
        assertThatThrownBy(() -> extra.acquire(SIM0, AcquireOptions.waitIndefinitely()).block(BLOCK))
                .isInstanceOf(PendingAcquireLimitException.class)
                .extracting(e -> ((RecorderException) e).hresult().code()).isEqualTo(0x80070718);
        for (int round = 0; round < 200; round++) {
            waiters.get(0).dispose();
            Probe<LockGrant> next = Probe.unbounded();
            extra.acquire(SIM0, AcquireOptions.waitIndefinitely()).subscribe(next);
            h.settle();
            assertThat(next.error.get()).as("round %d: a request right after a waiter was disposed", round).isNull();
            waiters.set(0, () -> next.cancel());
        }
        holder.release(SIM0).block(BLOCK);
        waiters.forEach(Disposable::dispose);
        h.closeSessionsAndAssertBalanced();
    }

    @Test
    void aTimedOutWaiterFreesItsPlaceAtOnce() {
        List<String> order = new CopyOnWriteArrayList<>();
        queue(4, AcquireOptions.waitIndefinitely(), order, "W");
        queue(1, AcquireOptions.waitUpTo(Duration.ofSeconds(1)), order, "T");
        h.test.advance(Duration.ofSeconds(1));
        ClientSession extra = h.session("Extra");
        Probe<LockGrant> next = Probe.unbounded();
        extra.acquire(SIM0, AcquireOptions.waitIndefinitely()).subscribe(next);
        h.settle();
        assertThat(next.error.get()).isNull();
        holder.release(SIM0).block(BLOCK);
        h.settle();
        assertThat(order).containsExactly("T0 failed: AcquireTimeoutException", "W0", "W1", "W2", "W3");
        assertThat(next.values).hasSize(1);
        extra.release(next.values.get(0)).block(BLOCK);
        h.closeSessionsAndAssertBalanced();
    }
}
