package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;

/** Durations too long to count in nanoseconds mean "never": nothing overflows on the event loop, nothing hangs. */
class DurationOverflowTests {

    private static final Duration FOREVER = ChronoUnit.FOREVER.getDuration();
    private static final Duration MILLENNIUM = Duration.ofDays(365_250);

    @Test
    void foreverAsCommandTimeoutMeansNoTimeoutAndAcquiresWork() {
        for (Duration huge : new Duration[] {FOREVER, MILLENNIUM}) {
            try (TestAgent t = TestAgent.start(1, b -> b.commandTimeout(huge))) {
                ClientSession a = t.session("A");
                assertThat(a.acquire(SIM0).block(Duration.ofSeconds(10)).lockCount()).isEqualTo(1);
                assertThat(a.release(SIM0).block(Duration.ofSeconds(10))).isZero();
            }
        }
    }

    @Test
    void foreverAsMediaPollIntervalOrOverflowGraceStillStartsAndStops() {
        for (Duration huge : new Duration[] {FOREVER, MILLENNIUM}) {
            try (TestAgent t = TestAgent.start(1, b -> b.mediaPollInterval(huge).eventOverflowGrace(huge))) {
                assertThat(t.agent.recorders().block(Duration.ofSeconds(10))).hasSize(1);
            }
        }
    }

    @Test
    void aWaitOfAMillenniumWaitsAndIsServed() {
        try (TestAgent t = TestAgent.start(1, b -> { })) {
            ClientSession holder = t.session("Holder");
            holder.acquire(SIM0).block();
            var probe = reactor.test.subscriber.TestSubscriber.<io.discagent.api.LockGrant>create();
            t.session("Patient").acquire(SIM0, AcquireOptions.waitUpTo(MILLENNIUM)).subscribe(probe);
            t.advance(Duration.ofDays(3650));
            assertThat(probe.isTerminated()).isFalse();
            holder.release(SIM0).block();
            t.settle();
            assertThat(probe.getReceivedOnNext()).hasSize(1);
        }
    }

    @Test
    void aCenturyOfVirtualTimeInOneStepRunsThePeriodicWorkOnceNotOncePerInterval() {
        try (TestAgent t = TestAgent.start(1, b -> b.mediaPollInterval(Duration.ofSeconds(2))
                .ownerRefreshInterval(Duration.ofSeconds(2)))) {
            // a watcher of lock transitions makes the owner refresh ask the backend at every interval
            var watcher = t.agent.lockTransitions(SIM0).subscribe();
            try {
                t.advanceInSteps(Duration.ofSeconds(20), Duration.ofSeconds(1));
                long perTenIntervals = t.sim.calls().size();
                assertThat(perTenIntervals).as("the owner refresh ran at its interval").isGreaterThanOrEqualTo(5);
                t.advance(Duration.ofDays(36_525)); // 1.5 billion intervals: one run each, or this never returns
                assertThat(t.sim.calls().size() - perTenIntervals).as("native calls for a century in one step")
                        .isLessThan(50);
                ClientSession a = t.session("A");
                assertThat(a.acquire(SIM0).block(Duration.ofSeconds(10)).lockCount()).isEqualTo(1);
            } finally {
                watcher.dispose();
            }
        }
    }
}
