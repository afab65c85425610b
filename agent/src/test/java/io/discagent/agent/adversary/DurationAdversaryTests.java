package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static io.discagent.agent.adversary.Harness.SIM0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.agent.AgentOptions;
import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.AcquireTimeoutException;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.RecorderException;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * "A duration too long to count (ChronoUnit.FOREVER, a thousand years) means never; nothing overflows." Every wait,
 * backoff and command timeout is given durations at and around the overflow points of nanosecond arithmetic, with
 * the clock already far from zero, and must neither end early nor hang past its (representable) end.
 */
class DurationAdversaryTests {

    static List<Duration> neverEnding() {
        return List.of(ChronoUnit.FOREVER.getDuration(), AcquireOptions.WAIT_FOREVER,
                Duration.ofSeconds(Long.MAX_VALUE, 999_999_999), Duration.ofSeconds(Long.MAX_VALUE),
                Duration.ofNanos(Long.MAX_VALUE), Duration.ofNanos(Long.MAX_VALUE).plusNanos(1),
                Duration.ofNanos(Long.MAX_VALUE).minusDays(1), Duration.ofDays(365L * 1000),
                Duration.ofMillis(Long.MAX_VALUE), ChronoUnit.MILLENNIA.getDuration());
    }

    @ParameterizedTest
    @MethodSource("neverEnding")
    void aLongWaitNeitherEndsEarlyNorOverflowsWithTheClockFarFromZero(Duration wait) {
        try (Harness h = Harness.virtualTime()) {
            h.test.time.advanceTimeBy(Duration.ofDays(365L * 100));
            ClientSession a = h.session("Alpha");
            ClientSession b = h.session("Beta");
            a.acquire(SIM0).block(BLOCK);
            Probe<LockGrant> waiter = Probe.unbounded();
            b.acquire(SIM0, AcquireOptions.waitUpTo(wait)).subscribe(waiter);
            h.test.advance(Duration.ofDays(365L * 50));
            assertThat(waiter.terminals.get()).as("a wait of %s after 50 virtual years (%s)", wait,
                    waiter.error.get()).isZero();
            a.release(SIM0).block(BLOCK);
            h.settle();
            assertThat(waiter.values).as("granted when the holder released").hasSize(1);
            b.release(SIM0).block(BLOCK);
            h.assertQuiescentAndBalanced();
        }
    }

    @ParameterizedTest
    @MethodSource("neverEnding")
    void aLongWaitOnRealTimeNeitherEndsEarlyNorHangs(Duration wait) throws Exception {
        try (Harness h = Harness.realTime(1, b -> { })) {
            ClientSession a = h.session("Alpha");
            ClientSession b = h.session("Beta");
            a.acquire(SIM0).block(BLOCK);
            Probe<LockGrant> waiter = Probe.unbounded();
            b.acquire(SIM0, AcquireOptions.waitUpTo(wait)).subscribe(waiter);
            assertThat(waiter.awaitTerminal(Duration.ofMillis(150))).as("ended early: %s", waiter.error.get())
                    .isFalse();
            a.release(SIM0).block(BLOCK);
            assertThat(waiter.awaitValue(BLOCK)).isTrue();
            b.release(SIM0).block(BLOCK);
            h.assertQuiescentAndBalanced();
        }
    }

    @ParameterizedTest
    @MethodSource("neverEnding")
    void aHugeBackoffNeverRunsPastTheWait(Duration huge) {
        try (Harness h = Harness.virtualTime()) {
            h.test.time.advanceTimeBy(Duration.ofDays(365L * 100));
            ClientSession a = h.session("Alpha");
            h.sim.lockExternally(SIM0, "wodim (pid 4242)");
            Probe<LockGrant> waiter = Probe.unbounded();
            a.acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofMinutes(1))
                    .withRetry(RetryPolicy.backoff(Long.MAX_VALUE, huge, huge, 1.0))).subscribe(waiter);
            h.test.advanceInSteps(Duration.ofSeconds(61), Duration.ofSeconds(1));
            assertThat(waiter.awaitTerminal(BLOCK)).as("the wait of one minute ended").isTrue();
            assertThat(waiter.error.get()).isInstanceOf(AcquireTimeoutException.class);
            assertThat(((RecorderException) waiter.error.get()).owner()).contains("wodim (pid 4242)");
            h.sim.unlockExternally(SIM0);
            h.assertQuiescentAndBalanced();
        }
    }

    @ParameterizedTest
    @MethodSource("neverEnding")
    void aCommandTimeoutTooLongToCountMeansNever(Duration timeout) {
        try (Harness h = Harness.virtualTime(1, b -> b.commandTimeout(timeout))) {
            h.test.time.advanceTimeBy(Duration.ofDays(365L * 100));
            ClientSession a = h.session("Alpha");
            h.sim.hangNext(SIM0, Operation.ACQUIRE, 1);
            Probe<LockGrant> hung = Probe.unbounded();
            a.acquire(SIM0).subscribe(hung);
            h.test.advance(Duration.ofDays(365L * 50));
            assertThat(hung.terminals.get()).as("a hung call with a command timeout of %s (%s)", timeout,
                    hung.error.get()).isZero();
            h.sim.releaseHangs(SIM0);
            assertThat(hung.awaitValue(BLOCK)).isTrue();
            a.release(SIM0).block(BLOCK);
            h.assertQuiescentAndBalanced();
        }
    }

    @Test
    void aWaitOfOneNanosecondEndsAfterOneNanosecond() {
        try (Harness h = Harness.virtualTime()) {
            h.test.time.advanceTimeBy(Duration.ofDays(365L * 100));
            ClientSession a = h.session("Alpha");
            ClientSession b = h.session("Beta");
            a.acquire(SIM0).block(BLOCK);
            Probe<LockGrant> waiter = Probe.unbounded();
            b.acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofNanos(1))).subscribe(waiter);
            h.settle();
            assertThat(waiter.terminals.get()).isZero();
            h.test.advance(Duration.ofNanos(1));
            assertThat(waiter.awaitTerminal(BLOCK)).isTrue();
            assertThat(waiter.error.get()).isInstanceOf(AcquireTimeoutException.class);
            a.release(SIM0).block(BLOCK);
            h.assertQuiescentAndBalanced();
        }
    }

    @Test
    void buildersRejectBadDurationsAndCountsWithInvalidArgument() {
        List<Runnable> bad = List.of(
                () -> AgentOptions.builder().commandTimeout(Duration.ofSeconds(-1)),
                () -> AgentOptions.builder().commandTimeout(null),
                () -> AgentOptions.builder().eventOverflowGrace(Duration.ofSeconds(-1)),
                () -> AgentOptions.builder().eventOverflowGrace(null),
                () -> AgentOptions.builder().mediaPollInterval(Duration.ofSeconds(-1)),
                () -> AgentOptions.builder().pendingAcquireMaxCount(-1),
                () -> AgentOptions.builder().eventBufferSize(0),
                () -> AgentOptions.builder().eventBufferSize(-5),
                () -> AgentOptions.builder().timeScheduler(null),
                () -> AgentOptions.builder().backend((String) null),
                () -> AgentOptions.builder().backendProperty(null, "x"),
                () -> AcquireOptions.waitUpTo(Duration.ofNanos(-1)),
                () -> AcquireOptions.waitUpTo(null),
                () -> RetryPolicy.backoff(-1, Duration.ZERO, Duration.ZERO, 0),
                () -> RetryPolicy.backoff(1, Duration.ofSeconds(2), Duration.ofSeconds(1), 0),
                () -> RetryPolicy.backoff(1, Duration.ZERO, Duration.ZERO, Double.NaN),
                () -> RetryPolicy.backoff(1, Duration.ZERO, Duration.ZERO, 1.5),
                () -> RetryPolicy.backoff(1, Duration.ofSeconds(-1), Duration.ZERO, 0),
                () -> RetryPolicy.of(null));
        for (int i = 0; i < bad.size(); i++) {
            int index = i;
            assertThatThrownBy(() -> bad.get(index).run()).describedAs("bad argument #%d", index)
                    .isInstanceOf(InvalidArgumentException.class);
        }
    }

    @Test
    void aLimitOfZeroWaitersRefusesEveryWaitWhileHeld() {
        try (Harness h = Harness.virtualTime(1, b -> b.pendingAcquireMaxCount(0))) {
            ClientSession a = h.session("Alpha");
            ClientSession b = h.session("Beta");
            assertThat(b.acquire(SIM0, AcquireOptions.waitIndefinitely()).block(BLOCK).lockCount()).isEqualTo(1);
            b.release(SIM0).block(BLOCK);
            a.acquire(SIM0).block(BLOCK);
            assertThatThrownBy(() -> b.acquire(SIM0, AcquireOptions.waitIndefinitely()).block(BLOCK))
                    .isInstanceOf(io.discagent.api.error.PendingAcquireLimitException.class);
            a.release(SIM0).block(BLOCK);
            h.assertQuiescentAndBalanced();
        }
    }
}
