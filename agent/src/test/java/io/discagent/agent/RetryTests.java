package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.AcquireTimeoutException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.NativeRecorderException;
import io.discagent.api.error.RecorderLockedException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.subscriber.TestSubscriber;
import reactor.util.retry.Retry;

/** Retrying E_IMAPI_RECORDER_LOCKED from holders outside the agent, on virtual time. */
class RetryTests {

    private final TestAgent t = TestAgent.start();

    @AfterEach
    void close() {
        t.close();
    }

    private long nativeAcquires() {
        return t.sim.calls().stream().filter(c -> c.operation().equals("acquire")).count();
    }

    private TestSubscriber<LockGrant> acquire(ClientSession s, AcquireOptions options) {
        TestSubscriber<LockGrant> probe = TestSubscriber.create();
        s.acquire(SIM0, options).subscribe(probe);
        t.settle();
        return probe;
    }

    @Test
    void backoffDoublesExactlyUntilTheExternalHolderLetsGo() {
        t.sim.lockExternally(SIM0, "cdrskin (pid 9)");
        RetryPolicy backoff = RetryPolicy.backoff(10, Duration.ofMillis(100), Duration.ofSeconds(1), 0);
        TestSubscriber<LockGrant> probe = acquire(t.session("Burner"), AcquireOptions.DEFAULT.withRetry(backoff));
        assertThat(nativeAcquires()).isEqualTo(1);
        long[] gaps = {100, 200, 400, 800, 1000, 1000};
        for (long gap : gaps) {
            long before = nativeAcquires();
            t.advance(Duration.ofMillis(gap - 1));
            assertThat(nativeAcquires()).as("no attempt before %d ms", gap).isEqualTo(before);
            t.advance(Duration.ofMillis(1));
            assertThat(nativeAcquires()).as("an attempt at %d ms", gap).isEqualTo(before + 1);
        }
        t.sim.unlockExternally(SIM0);
        t.advance(Duration.ofSeconds(1));
        probe.block(Duration.ofSeconds(5));
        assertThat(probe.getReceivedOnNext()).singleElement().satisfies(g -> assertThat(g.lockCount()).isEqualTo(1));
        assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("Burner");
    }

    @Test
    void exhaustedRetriesFailWithTheLastLockedErrorAndItsOwner() {
        t.sim.lockExternally(SIM0, "wodim (pid 4242)");
        TestSubscriber<LockGrant> probe = acquire(t.session("Burner"),
                AcquireOptions.DEFAULT.withRetry(RetryPolicy.backoff(2, Duration.ofMillis(50), Duration.ofMillis(50), 0)));
        t.advance(Duration.ofMillis(50));
        t.advance(Duration.ofMillis(50));
        assertThat(nativeAcquires()).isEqualTo(3);
        assertThat(probe.expectTerminalError()).isInstanceOfSatisfying(RecorderLockedException.class,
                e -> assertThat(e.owner()).contains("wodim (pid 4242)"));
    }

    @Test
    void theImapiDefaultDoesNotRetry() {
        t.sim.lockExternally(SIM0, "other");
        TestSubscriber<LockGrant> probe = acquire(t.session("Burner"), AcquireOptions.DEFAULT);
        assertThat(probe.expectTerminalError()).isInstanceOf(RecorderLockedException.class);
        t.advance(Duration.ofMinutes(1));
        assertThat(nativeAcquires()).isEqualTo(1);
    }

    @Test
    void aWaitingRequestRetriesAnExternalHolderUntilItsDeadlineAndNoLonger() {
        t.sim.lockExternally(SIM0, "other");
        TestSubscriber<LockGrant> probe = acquire(t.session("Burner"),
                AcquireOptions.waitUpTo(Duration.ofMillis(2500)));
        // automatic policy: 100 ms .. 1 s with jitter, capped at the deadline
        t.advanceInSteps(Duration.ofMillis(2499), Duration.ofMillis(10));
        assertThat(probe.isTerminated()).isFalse();
        long attempts = nativeAcquires();
        assertThat(attempts).isBetween(3L, 12L);
        t.advance(Duration.ofMillis(1));
        assertThat(probe.expectTerminalError()).isInstanceOfSatisfying(AcquireTimeoutException.class,
                e -> assertThat(e.hresult()).isEqualTo(HResult.HRESULT_FROM_WIN32_ERROR_TIMEOUT));
        t.advance(Duration.ofMinutes(1));
        assertThat(nativeAcquires()).isLessThanOrEqualTo(attempts + 1);
    }

    @Test
    void aUserRetryIsAcceptedAndSeesOnlyLockedFailures() {
        AtomicInteger retries = new AtomicInteger();
        Retry mine = Retry.fixedDelay(3, Duration.ofMillis(10)).scheduler(t.time)
                .doBeforeRetry(signal -> retries.incrementAndGet());
        t.sim.lockExternally(SIM0, "other");
        TestSubscriber<LockGrant> probe = acquire(t.session("Burner"), AcquireOptions.DEFAULT.withRetry(RetryPolicy.of(mine)));
        t.advance(Duration.ofMillis(10));
        t.sim.unlockExternally(SIM0);
        t.advance(Duration.ofMillis(10));
        probe.block(Duration.ofSeconds(5));
        assertThat(probe.getReceivedOnNext()).hasSize(1);
        assertThat(retries).hasValue(2);

        // a failure that is not "locked" goes straight through
        t.sim.failNext(TestAgent.SIM1, Operation.ACQUIRE, HResult.E_OUTOFMEMORY, 1);
        TestSubscriber<LockGrant> other = TestSubscriber.create();
        t.session("Other").acquire(TestAgent.SIM1, AcquireOptions.DEFAULT.withRetry(RetryPolicy.of(mine))).subscribe(other);
        t.settle();
        assertThat(other.expectTerminalError()).isInstanceOfSatisfying(NativeRecorderException.class,
                e -> assertThat(e.hresult()).isEqualTo(HResult.E_OUTOFMEMORY));
        assertThat(retries).hasValue(2);
    }

    @Test
    void retryAlsoAppliesToAHolderInsideTheAgentWhenTheRequestDoesNotWait() {
        ClientSession holder = t.session("Holder");
        holder.acquire(SIM0).block();
        TestSubscriber<LockGrant> probe = acquire(t.session("Poller"),
                AcquireOptions.DEFAULT.withRetry(RetryPolicy.backoff(5, Duration.ofMillis(100), Duration.ofMillis(100), 0)));
        t.advance(Duration.ofMillis(100));
        holder.release(SIM0).block();
        t.advance(Duration.ofMillis(100));
        probe.block(Duration.ofSeconds(5));
        assertThat(probe.getReceivedOnNext()).hasSize(1);
    }
}
