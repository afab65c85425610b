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
}
